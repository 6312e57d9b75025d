package dev.cached.redis;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.engine.CachedCache;
import dev.cached.testing.Awaits;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Applying an invalidation received from another instance costs the same whatever the size
 * of the local store: the keys' stable forms are counted as they are computed (a key here
 * is a record whose accessors count their calls, and a stable form reads a record through
 * them), and applying one invalidation to a store of 400,000 entries computes a handful,
 * not one per stored key. The right key, and only it, is dropped, and a load of it running
 * then is not stored (G8); for a local-only cache and for a remote one.
 */
class InvalidationApplyTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int ENTRIES = 400_000;

	/** Far below one per stored key: what the apply, the sender and the marker compute. */
	private static final long FEW = 100;

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, "--cached.caches.cells.max-size=500000",
			"--cached.caches.tiles.remote=true", "--cached.caches.tiles.ttl=10m");

	@Test
	void applyingAnInvalidationToALocalOnlyCacheComputesNoStableFormPerStoredKey() throws Throwable {
		CachedCache cells = instances.engine(A, "cells");
		for (int i = 0; i < ENTRIES; i++) {
			cells.get(new Cell(i, 0), (context) -> "stored", "fill");
		}
		assertThat(cells.estimatedSize()).isEqualTo(ENTRIES);
		Grid grid = instances.bean(A, Grid.class);
		CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> grid.cellHeld(new Cell(-1, 0)));
		Awaits.await().until(() -> cells.inFlightKeys() == 1);
		Cell.reads.set(0);
		instances.cache(B, "cells").invalidate(new Cell(7, 0));
		instances.cache(B, "cells").invalidate(new Cell(-1, 0));
		Awaits.await().until(() -> cells.peek(new Cell(7, 0)) == null);
		instances.awaitDelivered(B, "cells");
		assertThat(Cell.reads).hasValueLessThan(FEW);
		assertThat(cells.inFlightKeys()).isZero();
		for (int i = 0; i < ENTRIES; i++) {
			if (i != 7) {
				assertThat(cells.peek(new Cell(i, 0))).as("cell %s", i).isNotNull();
			}
		}
		// G8: the load running while its key was invalidated answers, but is not stored
		grid.release();
		assertThat(inFlight.get(30, TimeUnit.SECONDS)).isEqualTo("held 1");
		assertThat(cells.peek(new Cell(-1, 0))).isNull();
		assertThat(grid.cell(new Cell(-1, 0))).isEqualTo("cell 2");
	}

	@Test
	void applyingAnInvalidationToARemoteCacheComputesNoStableFormPerStoredKey() {
		Grid grid = instances.bean(A, Grid.class);
		for (int i = 0; i < 2_000; i++) {
			grid.tile(new Cell(i, 1));
		}
		// a value read from Redis, loaded by the other instance
		assertThat(instances.bean(B, Grid.class).tile(new Cell(-5, 1))).isEqualTo("tile 1");
		assertThat(grid.tile(new Cell(-5, 1))).isEqualTo("tile 1");
		CachedCache tiles = instances.engine(A, "tiles");
		assertThat(tiles.peek(new Cell(-5, 1))).isNotNull();
		Cell.reads.set(0);
		instances.cache(B, "tiles").invalidate(new Cell(7, 1));
		instances.cache(B, "tiles").invalidate(new Cell(-5, 1));
		Awaits.await().until(() -> tiles.peek(new Cell(7, 1)) == null && tiles.peek(new Cell(-5, 1)) == null);
		instances.awaitDelivered(B, "tiles");
		assertThat(Cell.reads).hasValueLessThan(FEW);
		for (int i = 0; i < 2_000; i++) {
			if (i != 7) {
				assertThat(tiles.peek(new Cell(i, 1))).as("tile %s", i).isNotNull();
			}
		}
	}

	/**
	 * A burst of invalidations is applied on one thread: each stored key's stable form is
	 * computed, as it leaves the index, on the thread that applies its message.
	 */
	@Test
	void aBurstOfMessagesIsAppliedOnOneThread() {
		CachedCache cells = instances.engine(A, "cells");
		int burst = 500;
		for (int i = 0; i < burst; i++) {
			cells.putLocally(new Cell(i, 2), "stored");
		}
		Thread sender = Thread.currentThread();
		Set<Thread> applying = ConcurrentHashMap.newKeySet();
		Cell.reader = (thread) -> {
			if (thread != sender) {
				applying.add(thread);
			}
		};
		try {
			for (int i = 0; i < burst; i++) {
				instances.cache(B, "cells").invalidate(new Cell(i, 2));
			}
			Awaits.await().until(() -> {
				for (int i = 0; i < burst; i++) {
					if (cells.peek(new Cell(i, 2)) != null) {
						return false;
					}
				}
				return true;
			});
		}
		finally {
			Cell.reader = (thread) -> {
			};
		}
		assertThat(applying).hasSize(1);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Grid grid() {
			return new Grid();
		}

	}

	/**
	 * A key whose accessors count their calls.
	 *
	 * @param x its column
	 * @param y its row
	 */
	public record Cell(int x, int y) {

		static final AtomicLong reads = new AtomicLong();

		/** Told the thread of each read. */
		static volatile Consumer<Thread> reader = (thread) -> {
		};

		@Override
		public int x() {
			read();
			return this.x;
		}

		@Override
		public int y() {
			read();
			return this.y;
		}

		private static void read() {
			reads.incrementAndGet();
			reader.accept(Thread.currentThread());
		}

	}

	/** The cached methods, counting their executions per key. */
	public static class Grid {

		private final CountDownLatch release = new CountDownLatch(1);

		private final Map<Cell, AtomicInteger> executions = new ConcurrentHashMap<>();

		@Cached(name = "cells")
		public String cell(Cell cell) {
			return "cell " + executed(cell);
		}

		/** A load that holds until {@link #release}. */
		@Cached(name = "cells")
		public String cellHeld(Cell cell) {
			try {
				this.release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return "held " + executed(cell);
		}

		public void release() {
			this.release.countDown();
		}

		@Cached(name = "tiles")
		public String tile(Cell cell) {
			return "tile " + executed(cell);
		}

		private int executed(Cell cell) {
			return this.executions.computeIfAbsent(cell, (key) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
