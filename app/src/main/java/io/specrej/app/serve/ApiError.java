package io.specrej.app.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error answered in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, with its HTTP status.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field is missing, of the wrong type or out of range; {@code param} names it. */
    public static ApiError badField(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, "invalid_value");
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, "invalid_request_error", message, null, null);
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "authentication_error",
                "missing or wrong API key: send 'Authorization: Bearer <key>' with the key the server was started with",
                null, "invalid_api_key");
    }

    public static ApiError notFound(String message, String param, String code) {
        return new ApiError(404, "not_found_error", message, param, code);
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error",
                "the request body is larger than the server's limit of " + limit + " bytes (--max-body)", null,
                "request_too_large");
    }

    public static ApiError queueFull(String message) {
        return new ApiError(429, "rate_limit_error", message, null, "queue_full");
    }

    public static ApiError unavailable(String message) {
        return new ApiError(503, "service_unavailable_error", message, null, "unavailable");
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "internal_error", message, null, null);
    }

    public int status() {
        return status;
    }

    public ObjectNode body() {
        ObjectNode root = Jsons.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
