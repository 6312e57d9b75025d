package dev.cached.testing.redis;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What a test can ask a running server through the launcher's own RESP client ({@link Resp}),
 * independent of Lettuce: the commands of {@link RedisServer} that look at or change what
 * it holds.
 */
abstract class ServerCommands {

	static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(5);

	ServerCommands() {
	}

	/**
	 * Return the port the server listens on.
	 * @return the port
	 * @throws IllegalStateException if the server has never been started
	 */
	public abstract int port();

	/**
	 * Send a command and return its reply, waiting at most 5 seconds.
	 * @param args the command and its arguments, e.g. {@code "SET", "k", "v"}
	 * @return the reply: a {@code String} for a simple or bulk string (as UTF-8), a
	 * {@code Long} for an integer, a {@code List} of such for an array, or {@code null}
	 * for a null bulk string or array
	 * @throws IllegalStateException if the server replies with an error
	 * @throws UncheckedIOException if the server cannot be reached, or does not reply in
	 * time
	 */
	public @Nullable Object command(String... args) {
		return command(SOCKET_TIMEOUT, args);
	}

	/**
	 * Send a command and return its reply, waiting at most the given time to connect and
	 * for the reply.
	 * @param timeout how long to wait
	 * @param args the command and its arguments
	 * @return the reply, as for {@link #command(String...)}
	 * @throws IllegalStateException if the server replies with an error
	 * @throws UncheckedIOException if the server cannot be reached, or does not reply in
	 * time (caused by a {@link java.net.SocketTimeoutException})
	 */
	public @Nullable Object command(Duration timeout, String... args) {
		return Resp.decode(Resp.send(port(), timeout, Resp.bytes(args)));
	}

	/**
	 * Set a key to a binary value, without expiry.
	 * @param key the key
	 * @param value the value
	 */
	public void set(String key, byte[] value) {
		Object reply = Resp.send(port(), SOCKET_TIMEOUT, new byte[][] { Resp.utf8("SET"), Resp.utf8(key), value });
		Resp.expectOk("SET", reply);
	}

	/**
	 * Return the value of a key.
	 * @param key the key
	 * @return the value, or {@code null} if there is no such key
	 */
	public byte @Nullable [] get(String key) {
		Object reply = Resp.send(port(), SOCKET_TIMEOUT, Resp.bytes("GET", key));
		if (reply != null && !(reply instanceof byte[])) {
			throw new IllegalStateException("Unexpected reply to GET: " + Resp.decode(reply));
		}
		return (byte[]) reply;
	}

	/**
	 * Return the remaining time to live of a key, in milliseconds.
	 * @param key the key
	 * @return the time to live, {@code -1} for a key without expiry, {@code -2} for no key
	 */
	public long pttl(String key) {
		Object reply = Resp.send(port(), SOCKET_TIMEOUT, Resp.bytes("PTTL", key));
		if (!(reply instanceof Long ttl)) {
			throw new IllegalStateException("Unexpected reply to PTTL: " + Resp.decode(reply));
		}
		return ttl;
	}

	/**
	 * Return the keys that match a pattern, in no particular order.
	 * @param pattern a glob-style pattern, e.g. {@code "cached:*"}
	 * @return the keys, as UTF-8
	 */
	public List<String> keys(String pattern) {
		Object reply = Resp.decode(Resp.send(port(), SOCKET_TIMEOUT, Resp.bytes("KEYS", pattern)));
		if (!(reply instanceof List<?> list)) {
			throw new IllegalStateException("Unexpected reply to KEYS: " + reply);
		}
		List<String> keys = new ArrayList<>(list.size());
		for (Object key : list) {
			keys.add((String) key);
		}
		return keys;
	}

	/**
	 * Delete every key of every database.
	 */
	public void flushAll() {
		Resp.expectOk("FLUSHALL", Resp.send(port(), SOCKET_TIMEOUT, Resp.bytes("FLUSHALL")));
	}

}
