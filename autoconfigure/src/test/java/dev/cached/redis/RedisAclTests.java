package dev.cached.redis;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.cached.redis.RemoteClearTests.Application;
import dev.cached.redis.RemoteClearTests.Books;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ACL of docs/many-instances.md ("Confining the starter with an ACL") lets the
 * starter do everything it does: every command a script runs is checked against it too.
 */
class RedisAclTests {

	/** As in the docs, but for the user's name and password. */
	private static final String RULES = "resetkeys ~cached:* resetchannels &cached:* -@all +get +set +del +unlink +pttl "
			+ "+pexpire +strlen +hget +hmget +hset +hincrby +scan +eval +evalsha +publish +subscribe +unsubscribe +ping +hello";

	/**
	 * The documented ACL, and the one documented before the starter sent scripts by their
	 * digest (without {@code +evalsha}): each script is then sent with its text.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "", " -evalsha" })
	void theDocumentedAclLetsTheStarterReadWriteInvalidateAndClear(String change) {
		try (RedisServer redis = RedisServer.start()) {
			String[] acl = ("ACL SETUSER orders-service on >s3cret " + RULES + change).split(" ");
			assertThat(redis.command(acl)).isEqualTo("OK");
			try (Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
					"--spring.data.redis.username=orders-service", "--spring.data.redis.password=s3cret")) {
				Books a = instances.bean(0, Books.class);
				Books b = instances.bean(1, Books.class);
				String loaded = a.book("acl");
				assertThat(b.book("acl")).as("B reads A's value").isEqualTo(loaded);
				instances.cache(0, "books").invalidate("acl");
				await().until(() -> !instances.cache(1, "books").contains("acl"));
				String again = b.book("acl");
				assertThat(again).isNotEqualTo(loaded);
				instances.cache(1, "books").invalidateAll();
				// A does not hold the key locally: wait for the clear itself to reach it (until
				// then it reads the generation it knows)
				instances.awaitDelivered(1, "books");
				assertThat(a.book("acl")).isNotEqualTo(again);
				assertThat(instances.count(0, "cache.remote.errors", "books")).isZero();
				assertThat(instances.count(1, "cache.remote.errors", "books")).isZero();
				assertThat(redis.keys(Instances.keysOf("books"))).isNotEmpty();
			}
		}
	}

}
