package dev.cached.observation;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import io.micrometer.observation.Observation;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.jspecify.annotations.Nullable;

/**
 * Makes the span of a {@code cached.wait} observation with a link to the span of the
 * {@code cached.load} it waited for, so that the trace of a request that joined another
 * request's load leads to the request that did the work. Order it before Micrometer's
 * {@code DefaultTracingObservationHandler} among the tracing handlers (the
 * auto-configuration does).
 * <p>
 * The span starts with the wait, as a child of the current span, linked to the load's
 * span. A link can only be given when a span is built, and a caller may join a load an
 * instant before its owner has started the load's observation: such a wait's span is
 * built again when the wait ends, with the link and the first span's start time, and the
 * first span is abandoned. Nothing runs in a wait's scope, so it has no children.
 */
public class CachedWaitTracingObservationHandler implements TracingObservationHandler<CachedWaitContext> {

	private final Tracer tracer;

	/**
	 * Create a handler.
	 * @param tracer the tracer
	 */
	public CachedWaitTracingObservationHandler(Tracer tracer) {
		this.tracer = tracer;
	}

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof CachedWaitContext;
	}

	@Override
	public void onStart(CachedWaitContext context) {
		Span parent = getParentSpan(context);
		if (parent == null) {
			parent = this.tracer.currentSpan();
		}
		Instant now = Instant.now();
		Started started = new Started((parent != null) ? parent.context() : null,
				now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000, System.nanoTime());
		Span load = loadSpan(context);
		context.put(Started.class, started);
		getTracingContext(context).setSpan(build(context, started, load));
		if (load == null) {
			context.put(Unlinked.class, Unlinked.INSTANCE);
		}
	}

	@Override
	public void onError(CachedWaitContext context) {
		// given to the span when it ends: the span may still be built again
	}

	@Override
	public void onStop(CachedWaitContext context) {
		Started started = context.getRequired(Started.class);
		Span span = getRequiredSpan(context);
		Span load = (context.get(Unlinked.class) != null) ? loadSpan(context) : null;
		if (load != null) {
			// the load's span started after this wait's: build this one again, linked
			span.abandon();
			span = build(context, started, load);
			getTracingContext(context).setSpan(span);
		}
		span.name(getSpanName(context));
		tagSpan(context, span);
		Throwable error = context.getError();
		if (error != null) {
			span.error(error);
		}
		span.end(started.epochMicros() + (System.nanoTime() - started.nanos()) / 1_000, TimeUnit.MICROSECONDS);
	}

	private Span build(CachedWaitContext context, Started started, @Nullable Span load) {
		Span.Builder builder = this.tracer.spanBuilder();
		if (started.parent() != null) {
			builder.setParent(started.parent());
		}
		else {
			builder.setNoParent();
		}
		if (load != null) {
			builder.addLink(new Link(load));
		}
		return builder.name(getSpanName(context))
			.startTimestamp(started.epochMicros(), TimeUnit.MICROSECONDS)
			.start();
	}

	/** The span of the load the caller waits for, if it was traced and has started. */
	private static @Nullable Span loadSpan(CachedWaitContext context) {
		CachedLoadContext load = context.getLoadContext();
		TracingContext tracing = (load != null) ? load.get(TracingContext.class) : null;
		return (tracing != null) ? tracing.getSpan() : null;
	}

	@Override
	public Tracer getTracer() {
		return this.tracer;
	}

	/** Where and when a wait started. */
	private record Started(@Nullable TraceContext parent, long epochMicros, long nanos) {
	}

	/** Marks a wait whose span was built before the load's span existed. */
	private enum Unlinked {

		INSTANCE

	}

}
