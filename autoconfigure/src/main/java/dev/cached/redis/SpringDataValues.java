package dev.cached.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.deser.Deserializers;
import tools.jackson.databind.deser.std.StdDeserializer;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.module.SimpleSerializers;
import tools.jackson.databind.ser.std.StdSerializer;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.SliceImpl;
import org.springframework.data.domain.Sort;

/**
 * Spring Data's {@link Page} and {@link Slice} as values in Redis (loaded only when Spring
 * Data Commons is on the classpath): a page travels as its content, its page request and
 * its total, a slice as its content, its page request and whether it has a next one,
 * without a type name:
 * <pre>
 * {"content":[...],"pageable":{"page":0,"size":20,"sort":[{"property":"lastName","direction":"ASC"}]},"total":42}
 * {"content":[...],"pageable":{"page":0,"size":20,"sort":[]},"hasNext":true}
 * </pre>
 * An unpaged request has no {@code page} and {@code size}; an order that ignores case
 * adds {@code "ignoreCase":true}, one with a null handling other than
 * {@code NATIVE} adds {@code "nullHandling":"NULLS_FIRST"} (or {@code NULLS_LAST}). A page
 * comes back as a {@link PageImpl}, a slice as a {@link SliceImpl}, of the declared
 * content type; a method declared to return a {@link Slice} gets back a page written as
 * one. Any other member fails to read, like an unknown property.
 */
final class SpringDataValues {

	private static final Set<Class<?>> TYPES = Set.of(Page.class, PageImpl.class, Slice.class, SliceImpl.class);

	private SpringDataValues() {
	}

	/**
	 * Whether a declared type is one this module reads.
	 * @param type the raw declared type
	 * @return whether it is {@code Page}, {@code PageImpl}, {@code Slice} or {@code SliceImpl}
	 */
	static boolean handles(Class<?> type) {
		return TYPES.contains(type);
	}

	static SimpleModule module() {
		return new SimpleModule("cached-spring-data") {

			private static final long serialVersionUID = 1L;

			@Override
			public void setupModule(SetupContext context) {
				super.setupModule(context);
				context.addSerializers(new SimpleSerializers(List.of(new SliceSerializer())));
				context.addDeserializers(new SliceDeserializers());
			}

		};
	}

	private static final class SliceSerializer extends StdSerializer<Slice<?>> {

		SliceSerializer() {
			super(Slice.class);
		}

		@Override
		public void serialize(Slice<?> slice, JsonGenerator generator, SerializationContext context) {
			generator.writeStartObject();
			generator.writeName("content");
			context.writeValue(generator, slice.getContent());
			generator.writeName("pageable");
			writePageable(slice.getPageable(), generator);
			if (slice instanceof Page<?> page) {
				generator.writeNumberProperty("total", page.getTotalElements());
			}
			else {
				generator.writeBooleanProperty("hasNext", slice.hasNext());
			}
			generator.writeEndObject();
		}

		private static void writePageable(Pageable pageable, JsonGenerator generator) {
			generator.writeStartObject();
			if (pageable.isPaged()) {
				generator.writeNumberProperty("page", pageable.getPageNumber());
				generator.writeNumberProperty("size", pageable.getPageSize());
			}
			generator.writeName("sort");
			generator.writeStartArray();
			for (Sort.Order order : pageable.getSort()) {
				generator.writeStartObject();
				generator.writeStringProperty("property", order.getProperty());
				generator.writeStringProperty("direction", order.getDirection().name());
				if (order.isIgnoreCase()) {
					generator.writeBooleanProperty("ignoreCase", true);
				}
				if (order.getNullHandling() != Sort.NullHandling.NATIVE) {
					generator.writeStringProperty("nullHandling", order.getNullHandling().name());
				}
				generator.writeEndObject();
			}
			generator.writeEndArray();
			generator.writeEndObject();
		}

	}

	private static final class SliceDeserializers extends Deserializers.Base {

		@Override
		public @Nullable ValueDeserializer<?> findBeanDeserializer(JavaType type, DeserializationConfig config,
				BeanDescription.Supplier description) {
			Class<?> raw = type.getRawClass();
			if (!handles(raw)) {
				return null;
			}
			JavaType content = config.getTypeFactory()
				.constructCollectionType(List.class, type.containedTypeOrUnknown(0));
			boolean page = Page.class.isAssignableFrom(raw);
			return new SliceDeserializer(type, content, page);
		}

		@Override
		public boolean hasDeserializerFor(DeserializationConfig config, Class<?> valueType) {
			return handles(valueType);
		}

	}

	private static final class SliceDeserializer extends StdDeserializer<Slice<?>> {

		private final JavaType content;

		/** Whether the declared type is a page (a slice accepts a page too). */
		private final boolean page;

		SliceDeserializer(JavaType type, JavaType content, boolean page) {
			super(type);
			this.content = content;
			this.page = page;
		}

		@Override
		public Slice<?> deserialize(JsonParser parser, DeserializationContext context) {
			JsonNode node = context.readTree(parser);
			if (node == null || !node.isObject()) {
				return fail(context, "not an object");
			}
			for (String name : node.propertyNames()) {
				if (!Set.of("content", "pageable", "total", "hasNext").contains(name)) {
					return fail(context, "unknown member '" + name + "'");
				}
			}
			JsonNode content = node.get("content");
			JsonNode pageable = node.get("pageable");
			JsonNode total = node.get("total");
			JsonNode hasNext = node.get("hasNext");
			if (content == null || !content.isArray() || pageable == null || !pageable.isObject()
					|| (total != null) == (hasNext != null)) {
				return fail(context, "not a page or a slice");
			}
			List<?> values = context.readTreeAsValue(content, this.content);
			Pageable request = pageable(pageable, context);
			if (total != null) {
				if (!total.isIntegralNumber()) {
					return fail(context, "total is not a number");
				}
				return new PageImpl<>(values, request, total.longValue());
			}
			if (this.page || !hasNext.isBoolean()) {
				return fail(context, "not a page");
			}
			return new SliceImpl<>(values, request, hasNext.booleanValue());
		}

		private Pageable pageable(JsonNode node, DeserializationContext context) {
			JsonNode page = node.get("page");
			JsonNode size = node.get("size");
			JsonNode sort = node.get("sort");
			int members = (page != null) ? 3 : 1;
			if (sort == null || !sort.isArray() || (page == null) != (size == null) || node.size() != members) {
				return fail(context, "not a page request");
			}
			List<Sort.Order> orders = new ArrayList<>();
			for (JsonNode order : sort) {
				orders.add(order(order, context));
			}
			Sort by = Sort.by(orders);
			if (page == null) {
				return Pageable.unpaged(by);
			}
			if (!page.isIntegralNumber() || !size.isIntegralNumber()) {
				return fail(context, "not a page request");
			}
			return PageRequest.of(page.intValue(), size.intValue(), by);
		}

		private Sort.Order order(JsonNode node, DeserializationContext context) {
			JsonNode property = node.get("property");
			JsonNode direction = node.get("direction");
			JsonNode ignoreCase = node.get("ignoreCase");
			JsonNode nullHandling = node.get("nullHandling");
			int expected = 2 + ((ignoreCase != null) ? 1 : 0) + ((nullHandling != null) ? 1 : 0);
			if (!node.isObject() || property == null || !property.isString() || direction == null
					|| !direction.isString() || node.size() != expected
					|| (ignoreCase != null && !ignoreCase.isBoolean())
					|| (nullHandling != null && !nullHandling.isString())) {
				return fail(context, "not a sort order");
			}
			try {
				Sort.Order order = new Sort.Order(Sort.Direction.valueOf(direction.stringValue()),
						property.stringValue(), (nullHandling != null)
								? Sort.NullHandling.valueOf(nullHandling.stringValue()) : Sort.NullHandling.NATIVE);
				return (ignoreCase != null && ignoreCase.booleanValue()) ? order.ignoreCase() : order;
			}
			catch (IllegalArgumentException ex) {
				return fail(context, "not a sort order");
			}
		}

		private <T> T fail(DeserializationContext context, String why) {
			return context.reportInputMismatch(this, "A %s: %s", handledType().getSimpleName(), why);
		}

	}

}
