package dev.cached.benchmarks;

/**
 * A bean without caching or any other advice, so it is not proxied: the cost of the call
 * itself.
 */
public class PlainService {

	public String byId(long id) {
		return Keys.VALUES[(int) id & Keys.MASK];
	}

}
