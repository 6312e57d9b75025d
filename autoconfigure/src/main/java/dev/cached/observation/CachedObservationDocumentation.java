package dev.cached.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations of {@code @Cached} caches, their names and keys.
 */
public enum CachedObservationDocumentation implements ObservationDocumentation {

	/**
	 * One execution of a cached method: a miss, a takeover (G11), a wait-timeout run (G7)
	 * or a background refresh. For a cache with a shared tier it covers the tier's work
	 * too (a read, a lease, the write), so the tier's commands are its children.
	 */
	LOAD {
		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultCachedLoadObservationConvention.class;
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return LoadKeyNames.values();
		}
	},

	/**
	 * One caller that joined a running load, while it waits for that load's outcome.
	 */
	WAIT {
		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultCachedWaitObservationConvention.class;
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return WaitKeyNames.values();
		}
	};

	/** The low-cardinality keys of {@code cached.load}. */
	public enum LoadKeyNames implements KeyName {

		/** The cache name. */
		CACHE {
			@Override
			public String asString() {
				return "cache";
			}
		},

		/** Why the method ran: {@code miss}, {@code takeover}, {@code timeout} or {@code refresh}. */
		TRIGGER {
			@Override
			public String asString() {
				return "trigger";
			}
		},

		/** {@code success} or {@code failure}. */
		RESULT {
			@Override
			public String asString() {
				return "result";
			}
		}

	}

	/** The low-cardinality keys of {@code cached.wait}. */
	public enum WaitKeyNames implements KeyName {

		/** The cache name. */
		CACHE {
			@Override
			public String asString() {
				return "cache";
			}
		},

		/**
		 * How the wait ended: {@code value}, {@code failure}, {@code timeout},
		 * {@code interrupted} or {@code cancelled}.
		 */
		OUTCOME {
			@Override
			public String asString() {
				return "outcome";
			}
		}

	}

}
