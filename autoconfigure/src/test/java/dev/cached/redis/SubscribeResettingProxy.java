package dev.cached.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.testing.redis.RedisServer;

/**
 * A TCP proxy in front of a real {@link RedisServer} that passes every byte through,
 * except that it resets the first connection that sends {@code SUBSCRIBE}, before the
 * command reaches Redis: the client sees its subscription fail with "connection reset",
 * as when Redis is killed while an instance subscribes, but deterministically.
 */
final class SubscribeResettingProxy implements AutoCloseable {

	private static final byte[] SUBSCRIBE = "SUBSCRIBE".getBytes(StandardCharsets.US_ASCII);

	private final RedisServer target;

	private final ServerSocket server;

	private final AtomicBoolean armed = new AtomicBoolean(true);

	private final AtomicInteger resets = new AtomicInteger();

	private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

	SubscribeResettingProxy(RedisServer target) throws IOException {
		this.target = target;
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		start("proxy-accept", this::accept);
	}

	/**
	 * Return the port clients connect to.
	 * @return the port
	 */
	int port() {
		return this.server.getLocalPort();
	}

	/**
	 * Return how many connections were reset.
	 * @return 0 or 1
	 */
	int resets() {
		return this.resets.get();
	}

	private void accept() {
		while (!this.server.isClosed()) {
			try {
				Socket client = this.server.accept();
				Socket upstream = new Socket(this.target.host(), this.target.port());
				this.sockets.add(client);
				this.sockets.add(upstream);
				start("proxy-up", () -> pump(client, upstream, true));
				start("proxy-down", () -> pump(upstream, client, false));
			}
			catch (IOException ex) {
				// closed, or Redis is not there: the client sees its connection end
			}
		}
	}

	private void pump(Socket from, Socket to, boolean fromClient) {
		byte[] buffer = new byte[8192];
		try {
			InputStream in = from.getInputStream();
			OutputStream out = to.getOutputStream();
			int read;
			while ((read = in.read(buffer)) != -1) {
				if (fromClient && contains(buffer, read, SUBSCRIBE) && this.armed.compareAndSet(true, false)) {
					// RST to the client, as from a server that died with the command unread
					from.setSoLinger(true, 0);
					from.close();
					to.close();
					this.resets.incrementAndGet();
					return;
				}
				out.write(buffer, 0, read);
				out.flush();
			}
		}
		catch (IOException ex) {
			// one side went away
		}
		closeQuietly(from);
		closeQuietly(to);
	}

	private static boolean contains(byte[] buffer, int length, byte[] text) {
		outer: for (int i = 0; i <= length - text.length; i++) {
			for (int j = 0; j < text.length; j++) {
				if (buffer[i + j] != text[j]) {
					continue outer;
				}
			}
			return true;
		}
		return false;
	}

	private static void start(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		thread.start();
	}

	private static void closeQuietly(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

	@Override
	public void close() throws IOException {
		this.server.close();
		this.sockets.forEach(SubscribeResettingProxy::closeQuietly);
	}

}
