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
 * The span is made when the wait ends, with the wait's start time: a caller may join a
 * load an instant before its owner has started the load's observation, and a link can
 * only be given when a span is built. Its parent is the span current where the wait
 * started. Nothing runs in a wait's scope, so it has no children.
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
		context.put(Started.class, new Started((parent != null) ? parent.context() : null,
				now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000, System.nanoTime()));
	}

	@Override
	public void onError(CachedWaitContext context) {
		// the error is given to the span when it is made, at the end of the wait
	}

	@Override
	public void onEvent(Observation.Event event, CachedWaitContext context) {
	}

	@Override
	public void onStop(CachedWaitContext context) {
		Started started = context.get(Started.class);
		if (started == null) {
			return;
		}
		Span.Builder builder = this.tracer.spanBuilder();
		if (started.parent() != null) {
			builder.setParent(started.parent());
		}
		else {
			builder.setNoParent();
		}
		Span load = loadSpan(context);
		if (load != null) {
			builder.addLink(new Link(load));
		}
		Span span = builder.name(getSpanName(context))
			.startTimestamp(started.epochMicros(), TimeUnit.MICROSECONDS)
			.start();
		getTracingContext(context).setSpan(span);
		tagSpan(context, span);
		Throwable error = context.getError();
		if (error != null) {
			span.error(error);
		}
		long micros = started.epochMicros() + (System.nanoTime() - started.nanos()) / 1_000;
		span.end(micros, TimeUnit.MICROSECONDS);
	}

	/** The span of the load the caller waited for, if it was traced. */
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

}
