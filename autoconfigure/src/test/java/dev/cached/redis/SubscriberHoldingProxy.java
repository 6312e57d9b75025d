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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

/**
 * A TCP proxy in front of a real {@link RedisServer} that passes every byte through, and
 * can {@link #hold()} what Redis sends to subscribed connections (those whose client sent
 * {@code SUBSCRIBE}) until {@link #release() released}: an instance behind it then hears
 * nothing from the channel for a while, as if the news were slow, while its commands
 * keep working. Nothing is lost: the held bytes are delivered in order on release.
 */
final class SubscriberHoldingProxy implements AutoCloseable {

	private static final byte[] SUBSCRIBE = "SUBSCRIBE".getBytes(StandardCharsets.US_ASCII);

	private final RedisServer target;

	private final ServerSocket server;

	/** Closed while deliveries to subscribers are held; {@code null} while they flow. */
	private volatile @Nullable CountDownLatch held;

	private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

	SubscriberHoldingProxy(RedisServer target) throws IOException {
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
	 * Hold every byte Redis sends to a subscribed connection from now on.
	 */
	void hold() {
		this.held = new CountDownLatch(1);
	}

	/**
	 * Deliver what was held, and let everything flow again.
	 */
	void release() {
		CountDownLatch latch = this.held;
		this.held = null;
		if (latch != null) {
			latch.countDown();
		}
	}

	private void accept() {
		while (!this.server.isClosed()) {
			try {
				Socket client = this.server.accept();
				Socket upstream = new Socket(this.target.host(), this.target.port());
				this.sockets.add(client);
				this.sockets.add(upstream);
				AtomicBoolean subscriber = new AtomicBoolean();
				start("proxy-up", () -> pump(client, upstream, subscriber, true));
				start("proxy-down", () -> pump(upstream, client, subscriber, false));
			}
			catch (IOException ex) {
				// closed, or Redis is not there: the client sees its connection end
			}
		}
	}

	private void pump(Socket from, Socket to, AtomicBoolean subscriber, boolean fromClient) {
		byte[] buffer = new byte[8192];
		try {
			InputStream in = from.getInputStream();
			OutputStream out = to.getOutputStream();
			int read;
			while ((read = in.read(buffer)) != -1) {
				if (fromClient && contains(buffer, read, SUBSCRIBE)) {
					subscriber.set(true);
				}
				if (!fromClient && subscriber.get()) {
					awaitRelease();
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

	private void awaitRelease() {
		CountDownLatch latch = this.held;
		if (latch == null) {
			return;
		}
		try {
			// bounded, so that a test that fails before its release leaves no thread behind
			latch.await(Awaits.TIMEOUT.toSeconds() * 3, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
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
		release();
		this.server.close();
		this.sockets.forEach(SubscriberHoldingProxy::closeQuietly);
	}

}
