package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * One Lua script of the tier ({@link Scripts}), sent by its SHA1 digest ({@code EVALSHA}):
 * Redis runs the script it already holds, without receiving its text and hashing it
 * again on every call. When Redis does not hold it ({@code NOSCRIPT}: its first use, or
 * a Redis that restarted, failed over or flushed its scripts), the same call is sent
 * once more with the text ({@code EVAL}), which makes Redis hold it from then on. The
 * script runs at most once per call: {@code NOSCRIPT} means that nothing ran.
 */
final class RedisScript {

	/** The category of the tier's log lines. */
	private static final Log logger = LogFactory.getLog(RedisTier.class);

	private static final AtomicBoolean evalshaDeniedLogged = new AtomicBoolean();

	private final String text;

	private final byte[] body;

	private final String sha;

	RedisScript(String text) {
		this.text = text;
		this.body = text.getBytes(StandardCharsets.UTF_8);
		this.sha = sha1(this.body);
	}

	/** The script's text. */
	String text() {
		return this.text;
	}

	/** The SHA1 digest Redis knows the script by (hexadecimal, lower case). */
	String sha() {
		return this.sha;
	}

	/**
	 * Run the script: by its digest, and with its text if Redis does not hold it. Never
	 * blocks; the returned future completes on Lettuce's event loop, and cancelling it
	 * cancels the command sent.
	 * @param <T> the reply's type
	 * @param commands the connection's commands
	 * @param type the reply's type
	 * @param keys the script's keys
	 * @param args the script's arguments
	 * @return the reply's future
	 */
	<T> RedisFuture<T> run(RedisClusterAsyncCommands<byte[], byte[]> commands, ScriptOutputType type, byte[][] keys,
			byte[]... args) {
		Reply<T> reply = new Reply<>();
		RedisFuture<T> first = commands.evalsha(this.sha, type, keys, args);
		reply.sent = first;
		first.whenComplete((value, error) -> {
			if (error == null) {
				reply.complete(value);
			}
			else if (noScript(error) && !reply.isDone()) {
				RedisFuture<T> second = commands.eval(this.body, type, keys, args);
				reply.sent = second;
				second.whenComplete((again, failed) -> {
					if (failed != null) {
						reply.completeExceptionally(failed);
					}
					else {
						reply.complete(again);
					}
				});
			}
			else {
				reply.completeExceptionally(error);
			}
		});
		return reply;
	}

	/**
	 * Whether the digest was refused without the script running: Redis does not hold it
	 * ({@code NOSCRIPT}), or the user's ACL does not allow {@code EVALSHA} ({@code NOPERM},
	 * an ACL written for a version of the starter that sent {@code EVAL} only; logged once).
	 */
	private static boolean noScript(Throwable error) {
		Throwable cause = (error instanceof CompletionException && error.getCause() != null) ? error.getCause() : error;
		String message = cause.getMessage();
		if (cause instanceof RedisNoScriptException || (message != null && message.startsWith("NOSCRIPT"))) {
			return true;
		}
		if (message != null && message.startsWith("NOPERM") && message.contains("evalsha")) {
			if (evalshaDeniedLogged.compareAndSet(false, true)) {
				logger.warn("The Redis user may not run EVALSHA (" + message + "): the starter sends every script "
						+ "with its text instead, one more round trip per call; add +evalsha to its ACL");
			}
			return true;
		}
		return false;
	}

	private static String sha1(byte[] body) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-1 is missing from this JVM", ex);
		}
	}

	/** The reply of one {@link #run}: Lettuce's future of the command sent last, seen as one. */
	private static final class Reply<T> extends CompletableFuture<T> implements RedisFuture<T> {

		/** The command sent last: written by the caller's thread, then by the event loop. */
		volatile @Nullable RedisFuture<T> sent;

		@Override
		public boolean cancel(boolean mayInterruptIfRunning) {
			RedisFuture<T> sent = this.sent;
			if (sent != null) {
				sent.cancel(mayInterruptIfRunning);
			}
			return super.cancel(mayInterruptIfRunning);
		}

		@Override
		public @Nullable String getError() {
			if (!isCompletedExceptionally()) {
				return null;
			}
			try {
				join();
				return null;
			}
			catch (RuntimeException ex) {
				Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
				return cause.getMessage();
			}
		}

		@Override
		public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
			try {
				get(timeout, unit);
			}
			catch (TimeoutException ex) {
				return false;
			}
			catch (ExecutionException | RuntimeException ex) {
				// done, with an error
			}
			return true;
		}

	}

}
