package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The names of the Redis tier's keys, the same on a single Redis, Sentinel and Cluster.
 * A cache is named by its id {@code <cid>}: 16 lower-case hexadecimal digits of the
 * 64-bit FNV-1a hash of its name's UTF-8 bytes (the name itself is never inside a hash
 * tag, so any name works). The entries of a cache spread over {@value #BUCKETS} buckets:
 * the bucket {@code <b>} of a key is the CRC-32 of its stable form's UTF-8 bytes modulo
 * {@value #BUCKETS}, as 3 hexadecimal digits. With {@code <prefix>} the key prefix
 * ({@code cached.redis.key-prefix}) and {@code <g>} the cache's generation:
 * <ul>
 * <li>{@code <prefix>{<cid>}:meta}: the cache's meta hash ({@code v} its version,
 * {@code g} its generation);</li>
 * <li>{@code <prefix>{<cid>.<b>}:m}: a bucket's meta hash ({@code v} the bucket's version,
 * {@code g} the highest generation used in the bucket);</li>
 * <li>{@code <prefix>{<cid>.<b>}:<g>:<key>}: an entry;</li>
 * <li>{@code <prefix>{<cid>.<b>}:<g>:lease:<key>}: its lease, in the entry's slot.</li>
 * </ul>
 * Public for tools and tests that look at Redis; the tier itself uses {@link RedisKeys}.
 */
public final class RedisKeyLayout {

	/** The number of buckets of a cache. */
	public static final int BUCKETS = 1024;

	private static final long FNV_OFFSET = 0xcbf29ce484222325L;

	private static final long FNV_PRIME = 0x100000001b3L;

	private static final char[] HEX = "0123456789abcdef".toCharArray();

	private RedisKeyLayout() {
	}

	/**
	 * Return the id of a cache in its keys' names.
	 * @param cache the cache's name
	 * @return 16 lower-case hexadecimal digits
	 */
	public static String cacheId(String cache) {
		long hash = FNV_OFFSET;
		for (byte b : cache.getBytes(StandardCharsets.UTF_8)) {
			hash ^= (b & 0xff);
			hash *= FNV_PRIME;
		}
		char[] id = new char[16];
		for (int i = 15; i >= 0; i--) {
			id[i] = HEX[(int) (hash & 0xf)];
			hash >>>= 4;
		}
		return new String(id);
	}

	/**
	 * Return the bucket of a key.
	 * @param stable the key's stable form
	 * @return the bucket, from 0 to {@value #BUCKETS} - 1
	 */
	public static int bucket(String stable) {
		CRC32 crc = new CRC32();
		crc.update(stable.getBytes(StandardCharsets.UTF_8));
		return (int) (crc.getValue() % BUCKETS);
	}

	/**
	 * Return the name of a cache's meta hash.
	 * @param prefix the key prefix
	 * @param cache the cache's name
	 * @return the name
	 */
	public static String meta(String prefix, String cache) {
		return prefix + "{" + cacheId(cache) + "}:meta";
	}

	/**
	 * Return the name of the meta hash of a key's bucket.
	 * @param prefix the key prefix
	 * @param cache the cache's name
	 * @param stable the key's stable form
	 * @return the name
	 */
	public static String bucketMeta(String prefix, String cache, String stable) {
		return bucketBase(prefix, cacheId(cache), bucket(stable)) + "m";
	}

	/**
	 * Return the name of an entry.
	 * @param prefix the key prefix
	 * @param cache the cache's name
	 * @param generation the cache's generation
	 * @param stable the key's stable form
	 * @return the name
	 */
	public static String entry(String prefix, String cache, long generation, String stable) {
		return bucketBase(prefix, cacheId(cache), bucket(stable)) + generation + ":" + stable;
	}

	/**
	 * Return the name of an entry's lease.
	 * @param prefix the key prefix
	 * @param cache the cache's name
	 * @param generation the cache's generation
	 * @param stable the key's stable form
	 * @return the name
	 */
	public static String lease(String prefix, String cache, long generation, String stable) {
		return bucketBase(prefix, cacheId(cache), bucket(stable)) + generation + ":lease:" + stable;
	}

	/**
	 * Return a {@code SCAN MATCH} pattern of every key of a cache's buckets (entries,
	 * leases and bucket meta hashes of every generation).
	 * @param prefix the key prefix
	 * @param cache the cache's name
	 * @return the pattern
	 */
	public static String bucketsPattern(String prefix, String cache) {
		return glob(prefix) + "{" + cacheId(cache) + ".*}:*";
	}

	/** The part of a bucket's names before {@code m} or the generation: {@code <prefix>{<cid>.<b>}:}. */
	static String bucketBase(String prefix, String cacheId, int bucket) {
		return prefix + "{" + cacheId + "." + HEX[(bucket >> 8) & 0xf] + HEX[(bucket >> 4) & 0xf] + HEX[bucket & 0xf]
				+ "}:";
	}

	/** Escape the characters that {@code SCAN MATCH} reads as a pattern. */
	static String glob(String text) {
		StringBuilder escaped = new StringBuilder(text.length() + 8);
		for (int i = 0; i < text.length(); i++) {
			char ch = text.charAt(i);
			if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') {
				escaped.append('\\');
			}
			escaped.append(ch);
		}
		return escaped.toString();
	}

}
