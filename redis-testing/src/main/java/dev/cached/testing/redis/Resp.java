package dev.cached.testing.redis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A tiny RESP client, independent of Lettuce: one connection per command, to a server on
 * {@link RedisServer#HOST}. The launchers use it to see whether a server answers, and to
 * look at or change what it holds.
 */
final class Resp {

	private Resp() {
	}

	/**
	 * Send a command and return its reply as it came: a {@code byte[]} for a bulk string.
	 * @throws IllegalStateException if the server replies with an error
	 * @throws UncheckedIOException if the server cannot be reached, or does not reply in
	 * time
	 */
	static @Nullable Object send(int port, Duration timeout, byte[][] args) {
		int millis = (int) Math.max(1, timeout.toMillis());
		try (Socket socket = new Socket()) {
			socket.setSoTimeout(millis);
			socket.connect(new InetSocketAddress(RedisServer.HOST, port), millis);
			OutputStream out = new BufferedOutputStream(socket.getOutputStream());
			out.write(utf8("*" + args.length + "\r\n"));
			for (byte[] arg : args) {
				out.write(utf8("$" + arg.length + "\r\n"));
				out.write(arg);
				out.write('\r');
				out.write('\n');
			}
			out.flush();
			return read(new BufferedInputStream(socket.getInputStream()), args);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("redis-server on port " + port + " did not answer "
					+ new String(args[0], StandardCharsets.UTF_8) + ": " + ex, ex);
		}
	}

	/** Send a command and return its reply {@link #decode decoded}. */
	static @Nullable Object command(int port, Duration timeout, String... args) {
		return decode(send(port, timeout, bytes(args)));
	}

	/** Whether a server answers {@code PING} within the timeout. */
	static boolean answersPing(int port, Duration timeout) {
		try {
			return "PONG".equals(command(port, timeout, "PING"));
		}
		catch (RuntimeException ex) {
			// not listening yet, or still loading its snapshot, or paused
			return false;
		}
	}

	private static @Nullable Object read(InputStream in, byte[][] args) throws IOException {
		int type = in.read();
		if (type == -1) {
			throw new EOFException("connection closed without a reply");
		}
		String line = readLine(in);
		switch (type) {
			case '+':
				return line;
			case '-':
				throw new IllegalStateException("redis-server replied to " + new String(args[0], StandardCharsets.UTF_8)
						+ " with an error: " + line);
			case ':':
				return Long.parseLong(line);
			case '$': {
				int length = Integer.parseInt(line);
				if (length < 0) {
					return null;
				}
				byte[] data = in.readNBytes(length);
				if (data.length < length || in.read() != '\r' || in.read() != '\n') {
					throw new EOFException("truncated bulk string");
				}
				return data;
			}
			case '*': {
				int count = Integer.parseInt(line);
				if (count < 0) {
					return null;
				}
				List<@Nullable Object> elements = new ArrayList<>(count);
				for (int i = 0; i < count; i++) {
					elements.add(read(in, args));
				}
				return elements;
			}
			default:
				throw new IOException("Unexpected RESP reply type '" + (char) type + "'");
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		while (true) {
			int c = in.read();
			if (c == -1) {
				throw new EOFException("connection closed in the middle of a reply");
			}
			if (c == '\r') {
				if (in.read() != '\n') {
					throw new IOException("Malformed RESP line: " + line);
				}
				return line.toString();
			}
			line.append((char) c);
		}
	}

	/** A reply with its bulk strings as UTF-8 text, in lists too. */
	static @Nullable Object decode(@Nullable Object reply) {
		if (reply instanceof byte[] data) {
			return new String(data, StandardCharsets.UTF_8);
		}
		if (reply instanceof List<?> list) {
			List<@Nullable Object> decoded = new ArrayList<>(list.size());
			for (Object element : list) {
				decoded.add(decode(element));
			}
			return decoded;
		}
		return reply;
	}

	static void expectOk(String command, @Nullable Object reply) {
		if (!"OK".equals(reply)) {
			throw new IllegalStateException("Unexpected reply to " + command + ": " + decode(reply));
		}
	}

	static byte[][] bytes(String... args) {
		byte[][] bytes = new byte[args.length][];
		for (int i = 0; i < args.length; i++) {
			bytes[i] = utf8(args[i]);
		}
		return bytes;
	}

	static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Return the value of a field of an {@code INFO} reply, e.g. {@code cluster_state} of
	 * {@code CLUSTER INFO} or {@code role} of {@code INFO replication}.
	 * @return the value, or {@code null} if the reply has no such field
	 */
	static @Nullable String field(@Nullable Object info, String name) {
		if (!(info instanceof String text)) {
			return null;
		}
		for (String line : text.split("\r?\n")) {
			if (line.startsWith(name + ":")) {
				return line.substring(name.length() + 1).trim();
			}
		}
		return null;
	}

}
