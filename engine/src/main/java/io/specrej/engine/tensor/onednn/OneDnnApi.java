package io.specrej.engine.tensor.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The slice of oneDNN's C API (dnnl.h, version 3.6) the matmul backend and {@link PrefixGemms} need, bound with FFM:
 * one CPU engine, in-order streams (the library's own, and one per thread that multiplies concurrently), 2-D memory
 * descriptors with explicit strides, matmul primitives (with a user scratchpad where threads run them at once), memory
 * objects whose data handle is swapped per call. Every status is checked; a failure becomes an {@link IllegalStateException} naming the
 * call and the status.
 */
final class OneDnnApi {
    // dnnl_common_types.h / dnnl_types.h
    static final int DATA_BF16 = 2;
    static final int DATA_F32 = 3;
    static final int DATA_U8 = 6;
    static final int ARG_SRC = 1;
    static final int ARG_DST = 17;
    static final int ARG_WEIGHTS = 33;
    static final int ARG_SCRATCHPAD = 80;
    static final int ARG_FROM = ARG_SRC;
    static final int ARG_TO = ARG_DST;
    private static final int ENGINE_CPU = 1;
    private static final int STREAM_IN_ORDER = 1;
    private static final int QUERY_IMPL_INFO_STR = 8;
    private static final int QUERY_WEIGHTS_MD = 131;
    private static final int QUERY_SCRATCHPAD_MD = 136;
    private static final int SCRATCHPAD_MODE_USER = 1;
    private static final int FORMAT_ANY = 1;
    private static final int MAX_NDIMS = 12;
    /** Bytes of one {@code dnnl_exec_arg_t} ({@code int arg; dnnl_memory_t memory;}, padded). */
    static final long EXEC_ARG_BYTES = 16;

    private static final String[] STATUS = {"success", "out_of_memory", "invalid_arguments", "unimplemented",
        "last_impl_reached", "runtime_error", "not_required", "invalid_graph", "invalid_graph_op", "invalid_shape",
        "invalid_data_type"};

    private final MethodHandle mdCreate;
    private final MethodHandle mdDestroy;
    private final MethodHandle matmulDesc;
    private final MethodHandle pdQuery;
    private final MethodHandle pdDestroy;
    private final MethodHandle primitiveCreate;
    private final MethodHandle memoryCreate;
    private final MethodHandle setHandle;
    private final MethodHandle memoryDestroy;
    private final MethodHandle mdCreateAny;
    private final MethodHandle pdQueryMd;
    private final MethodHandle reorderDesc;
    private final MethodHandle mdClone;
    private final MethodHandle mdSize;
    private final MethodHandle execute;
    private final MethodHandle streamWait;
    private final MethodHandle ompSetThreads;
    private final MethodHandle effectiveIsa;
    private final MethodHandle attrCreate;
    private final MethodHandle attrSetScratchpadMode;
    private final MethodHandle attrDestroy;
    private final MethodHandle streamCreate;
    private final MemorySegment engine;
    private final MemorySegment stream;

    OneDnnApi(OneDnnNatives.Loaded libs) {
        SymbolLookup dnnl = libs.dnnl();
        mdCreate = bind(dnnl, "dnnl_memory_desc_create_with_strides",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        mdDestroy = bind(dnnl, "dnnl_memory_desc_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        matmulDesc = bind(dnnl, "dnnl_matmul_primitive_desc_create",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        pdQuery = bind(dnnl, "dnnl_primitive_desc_query",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        pdDestroy = bind(dnnl, "dnnl_primitive_desc_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        primitiveCreate = bind(dnnl, "dnnl_primitive_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        memoryCreate = bind(dnnl, "dnnl_memory_create",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        setHandle = bind(dnnl, "dnnl_memory_set_data_handle", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        memoryDestroy = bind(dnnl, "dnnl_memory_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        mdCreateAny = bind(dnnl, "dnnl_memory_desc_create_with_tag",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        pdQueryMd = bind(dnnl, "dnnl_primitive_desc_query_md",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        reorderDesc = bind(dnnl, "dnnl_reorder_primitive_desc_create",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        mdClone = bind(dnnl, "dnnl_memory_desc_clone", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        mdSize = bind(dnnl, "dnnl_memory_desc_get_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        execute = bind(dnnl, "dnnl_primitive_execute",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        streamWait = bind(dnnl, "dnnl_stream_wait", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        effectiveIsa = bind(dnnl, "dnnl_get_effective_cpu_isa", FunctionDescriptor.of(JAVA_INT));
        ompSetThreads = bind(libs.openMp(), "omp_set_num_threads", FunctionDescriptor.ofVoid(JAVA_INT));
        MethodHandle engineCreate = bind(dnnl, "dnnl_engine_create",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
        streamCreate = bind(dnnl, "dnnl_stream_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        attrCreate = bind(dnnl, "dnnl_primitive_attr_create", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        attrSetScratchpadMode = bind(dnnl, "dnnl_primitive_attr_set_scratchpad_mode",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        attrDestroy = bind(dnnl, "dnnl_primitive_attr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        engine = create("dnnl_engine_create", out -> (int) engineCreate.invokeExact(out, ENGINE_CPU, 0L));
        stream = newStream();
    }

    private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.find(name)
                .orElseThrow(() -> new IllegalStateException("oneDNN library has no symbol " + name));
        return Linker.nativeLinker().downcallHandle(symbol, descriptor);
    }

    static void check(int status, String call) {
        if (status != 0) {
            String name = status > 0 && status < STATUS.length ? STATUS[status] : "status " + status;
            throw new IllegalStateException("oneDNN " + call + " failed: " + name);
        }
    }

    /** A downcall (method handles throw Throwable). */
    @FunctionalInterface
    private interface NativeCall<T> {
        T run() throws Throwable;
    }

    /** A downcall that returns a {@code dnnl_status_t} and writes its result through a pointer argument. */
    @FunctionalInterface
    private interface OutCall {
        int run(MemorySegment out) throws Throwable;
    }

    private static <T> T value(String name, NativeCall<T> call) {
        try {
            return call.run();
        } catch (Throwable t) {
            throw failed(name, t);
        }
    }

    private static RuntimeException failed(String name, Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("oneDNN call " + name + " failed: " + t, t);
    }

    /** Runs a status-returning downcall and checks the status. */
    private static void call(String name, NativeCall<Integer> call) {
        check(value(name, call), name);
    }

    /** Runs a creating downcall and returns the handle it wrote. */
    private static MemorySegment create(String name, OutCall call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            call(name, () -> call.run(out));
            return out.get(ADDRESS, 0);
        }
    }

    /** The instruction set oneDNN dispatches to ({@code dnnl_cpu_isa_t} bits, e.g. 0xe7 = avx512_core_bf16). */
    int effectiveIsa() {
        return value("dnnl_get_effective_cpu_isa", () -> (int) effectiveIsa.invokeExact());
    }

    // setThreads, setData and execute run on every multiply: direct calls, no capturing lambda to allocate.

    /** OpenMP threads for the calling thread's next parallel regions (an OpenMP per-thread setting). */
    void setThreads(int threads) {
        try {
            ompSetThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw failed("omp_set_num_threads", t);
        }
    }

    /** A 2-D memory descriptor; the caller destroys it with {@link #destroyDesc}. */
    MemorySegment desc(long rows, long cols, int dataType, long rowStride, long colStride) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dims = dims(arena, rows, cols);
            MemorySegment strides = dims(arena, rowStride, colStride);
            return create("dnnl_memory_desc_create_with_strides",
                    out -> (int) mdCreate.invokeExact(out, 2, dims, dataType, strides));
        }
    }

    /** A [rows][cols] descriptor that lets the primitive choose the layout (format tag {@code any}). */
    MemorySegment anyLayout(long rows, long cols, int dataType) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dims = dims(arena, rows, cols);
            return create("dnnl_memory_desc_create_with_tag",
                    out -> (int) mdCreateAny.invokeExact(out, 2, dims, dataType, FORMAT_ANY));
        }
    }

    private static MemorySegment dims(Arena arena, long first, long second) {
        MemorySegment dims = arena.allocate(JAVA_LONG, MAX_NDIMS);
        dims.setAtIndex(JAVA_LONG, 0, first);
        dims.setAtIndex(JAVA_LONG, 1, second);
        return dims;
    }

    void destroyDesc(MemorySegment desc) {
        call("dnnl_memory_desc_destroy", () -> (int) mdDestroy.invokeExact(desc));
    }

    /** Bytes a memory object of this descriptor holds. */
    long size(MemorySegment desc) {
        return value("dnnl_memory_desc_get_size", () -> (long) mdSize.invokeExact(desc));
    }

    /**
     * A matmul primitive {@code dst = src · weights}, the name of the implementation oneDNN chose, and (a clone the
     * caller owns) the weights layout it expects, which is a blocked one when the weights were described with
     * {@link #anyLayout}.
     */
    record Primitive(MemorySegment handle, String implementation, MemorySegment weightsDesc, long scratchpadBytes) {
    }

    Primitive matmul(MemorySegment src, MemorySegment weights, MemorySegment dst) {
        return matmul(src, weights, dst, MemorySegment.NULL);
    }

    /**
     * A matmul primitive whose scratchpad the caller passes with every execution ({@code ARG_SCRATCHPAD}, at least
     * {@link #scratchpadBytes} bytes). With the library's own scratchpad, which this build shares between all
     * primitives, two threads must not execute at the same time; with their own scratchpads and streams they can.
     */
    Primitive matmulWithUserScratchpad(MemorySegment src, MemorySegment weights, MemorySegment dst) {
        MemorySegment attr = create("dnnl_primitive_attr_create", out -> (int) attrCreate.invokeExact(out));
        try {
            call("dnnl_primitive_attr_set_scratchpad_mode",
                    () -> (int) attrSetScratchpadMode.invokeExact(attr, SCRATCHPAD_MODE_USER));
            return matmul(src, weights, dst, attr);
        } finally {
            call("dnnl_primitive_attr_destroy", () -> (int) attrDestroy.invokeExact(attr));
        }
    }

    private Primitive matmul(MemorySegment src, MemorySegment weights, MemorySegment dst, MemorySegment attr) {
        MemorySegment pd = create("dnnl_matmul_primitive_desc_create", out -> (int) matmulDesc.invokeExact(out,
                engine, src, weights, MemorySegment.NULL, dst, attr));
        try {
            String impl = create("dnnl_primitive_desc_query",
                    out -> (int) pdQuery.invokeExact(pd, QUERY_IMPL_INFO_STR, 0, out)).reinterpret(256).getString(0);
            MemorySegment chosen = value("dnnl_primitive_desc_query_md",
                    () -> (MemorySegment) pdQueryMd.invokeExact(pd, QUERY_WEIGHTS_MD, 0));
            MemorySegment weightsDesc = create("dnnl_memory_desc_clone",
                    out -> (int) mdClone.invokeExact(out, chosen));
            MemorySegment scratchpad = value("dnnl_primitive_desc_query_md",
                    () -> (MemorySegment) pdQueryMd.invokeExact(pd, QUERY_SCRATCHPAD_MD, 0));
            long scratchpadBytes = scratchpad.equals(MemorySegment.NULL) ? 0 : size(scratchpad);
            return new Primitive(primitive(pd), impl, weightsDesc, scratchpadBytes);
        } finally {
            call("dnnl_primitive_desc_destroy", () -> (int) pdDestroy.invokeExact(pd));
        }
    }

    /** A reorder primitive copying memory of layout {@code from} into layout {@code to}. */
    MemorySegment reorder(MemorySegment from, MemorySegment to) {
        MemorySegment pd = create("dnnl_reorder_primitive_desc_create",
                out -> (int) reorderDesc.invokeExact(out, from, engine, to, engine, MemorySegment.NULL));
        try {
            return primitive(pd);
        } finally {
            call("dnnl_primitive_desc_destroy", () -> (int) pdDestroy.invokeExact(pd));
        }
    }

    private MemorySegment primitive(MemorySegment pd) {
        return create("dnnl_primitive_create", out -> (int) primitiveCreate.invokeExact(out, pd));
    }

    /** A memory object over {@code desc} (copied by oneDNN) whose data handle is set per call. */
    MemorySegment memory(MemorySegment desc) {
        return create("dnnl_memory_create",
                out -> (int) memoryCreate.invokeExact(out, desc, engine, MemorySegment.NULL));
    }

    void destroyMemory(MemorySegment memory) {
        call("dnnl_memory_destroy", () -> (int) memoryDestroy.invokeExact(memory));
    }

    void setData(MemorySegment memory, MemorySegment data) {
        int status;
        try {
            status = (int) setHandle.invokeExact(memory, data);
        } catch (Throwable t) {
            throw failed("dnnl_memory_set_data_handle", t);
        }
        check(status, "dnnl_memory_set_data_handle");
    }

    /** Writes argument {@code index} of an execution's {@code dnnl_exec_arg_t} array: (argument id, memory). */
    static void setArg(MemorySegment args, int index, int argument, MemorySegment memory) {
        long at = index * EXEC_ARG_BYTES;
        args.set(JAVA_INT, at, argument);
        args.set(ADDRESS, at + 8, memory);
    }

    /**
     * A memory object for a user scratchpad ({@link #matmulWithUserScratchpad}): primitives read only its address, so
     * a byte row of the buffer's size describes it.
     */
    MemorySegment scratchpadMemory(MemorySegment buffer) {
        MemorySegment desc = desc(1, buffer.byteSize(), DATA_U8, buffer.byteSize(), 1);
        try {
            MemorySegment memory = memory(desc);
            setData(memory, buffer);
            return memory;
        } finally {
            destroyDesc(desc);
        }
    }

    /** A further in-order stream (each thread that executes primitives concurrently needs its own). */
    MemorySegment newStream() {
        return create("dnnl_stream_create", out -> (int) streamCreate.invokeExact(out, engine, STREAM_IN_ORDER));
    }

    /** Runs a primitive on {@code count} (argument id, memory) pairs and waits for it. */
    void execute(MemorySegment primitive, MemorySegment args, int count) {
        execute(primitive, stream, args, count);
    }

    /** {@link #execute(MemorySegment, MemorySegment, int)} on another stream (see {@link #newStream}). */
    void execute(MemorySegment primitive, MemorySegment stream, MemorySegment args, int count) {
        int executed;
        int waited;
        try {
            executed = (int) execute.invokeExact(primitive, stream, count, args);
            waited = executed == 0 ? (int) streamWait.invokeExact(stream) : 0;
        } catch (Throwable t) {
            throw failed("dnnl_primitive_execute", t);
        }
        check(executed, "dnnl_primitive_execute");
        check(waited, "dnnl_stream_wait");
    }
}
