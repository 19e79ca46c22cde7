package io.specrej.app.serve;

import io.specrej.app.ByteSizes;
import io.specrej.app.DefaultModels;
import io.specrej.decoding.Generation;
import io.specrej.decoding.RewardService;
import io.specrej.decoding.Scheduler;
import io.specrej.engine.BadInputException;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.model.Head;
import io.specrej.engine.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code specrej serve}: an OpenAI-compatible server over one generator and one reward model, every request's
 * sequences sharing each step's forward pass. See docs/SERVER.md.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the OpenAI API (chat and text completions) with continuous batching; each request may",
                "ask for plain sampling, reward-ranked Best-of-N or Speculative Rejection (docs/SERVER.md).",
                "Prints one line when ready; SIGTERM or SIGINT stops accepting, lets running requests finish for",
                "--grace seconds, then cancels the rest."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    io.specrej.app.EngineOptions engineOptions;

    @Option(names = "--model", paramLabel = "DIR", description = "Generator (a causal LM). Default: the embedded "
            + "mini-alpaca-gen.")
    Path model;

    @Option(names = "--reward-model", paramLabel = "DIR|none", description = "Reward model for best_of_n and "
            + "speculative_rejection. Default: the embedded mini-alpaca-rm; none serves plain sampling only.")
    String rewardModel;

    @Option(names = "--reward-label", defaultValue = "0", paramLabel = "L",
            description = "Which of the reward model's outputs is the reward (default 0).")
    int rewardLabel;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address to listen on (default 127.0.0.1: this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8000", paramLabel = "PORT",
            description = "Port (default 8000; 0 picks a free one, printed in the ready line).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on /v1 routes (default: SPECREJ_API_KEY if set, "
                    + "else no key).")
    String apiKey;

    @Option(names = "--memory-budget", defaultValue = "2GiB", paramLabel = "SIZE",
            description = "KV memory of all requests together, generator and reward model (default 2GiB).")
    String memoryBudget;

    /** The default quota of a speculative_rejection request when --memory-budget is larger. */
    static final long DEFAULT_REQUEST_BUDGET = 64L << 20;

    @Option(names = "--request-budget", paramLabel = "SIZE",
            description = "A speculative_rejection request's KV quota unless it sends memory_budget; its result "
                    + "equals 'run --memory-budget SIZE' (default 64MiB, or --memory-budget if smaller).")
    String requestBudget;

    @Option(names = "--max-batch", defaultValue = "256", paramLabel = "N",
            description = "Decode rows per forward pass at most; more running sequences take several passes "
                    + "(default 256).")
    int maxBatch;

    @Option(names = "--prefill-chunk", defaultValue = "256", paramLabel = "TOKENS",
            description = "Prompt tokens prefilled per step at most, so long prompts do not stall running "
                    + "decodes (default 256).")
    int prefillChunk;

    @Option(names = "--max-queue", defaultValue = "64", paramLabel = "N",
            description = "Requests waiting for memory at most; more get 429 (default 64).")
    int maxQueue;

    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model name clients send and /v1/models lists (default: the model directory's name).")
    String servedName;

    @Option(names = "--threads", paramLabel = "T", description = "Engine threads (default: all cores).")
    Integer threads;

    @Option(names = "--max-body", defaultValue = "1MiB", paramLabel = "SIZE",
            description = "Request body size at most (413 above; default 1MiB).")
    String maxBody;

    @Option(names = "--max-n", defaultValue = "16", paramLabel = "N", description = "n at most (default 16).")
    int maxN;

    @Option(names = "--max-best-of", defaultValue = "64", paramLabel = "N",
            description = "best_of at most (default 64).")
    int maxBestOf;

    @Option(names = "--max-candidates", defaultValue = "256", paramLabel = "N",
            description = "Speculative Rejection's initial candidates at most, the default cap too (default 256).")
    int maxCandidates;

    @Option(names = "--default-max-tokens", defaultValue = "256", paramLabel = "N",
            description = "New tokens for a chat request without max_tokens, within the context (default 256).")
    int defaultMaxTokens;

    @Option(names = "--request-timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "Cancel a request still running after this long (default 600).")
    int requestTimeout;

    @Option(names = "--grace", defaultValue = "30", paramLabel = "SECONDS",
            description = "On SIGTERM/SIGINT, how long running requests may finish (default 30).")
    int grace;

    @Override
    public Integer call() throws Exception {
        Server server = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(grace * 1000L, spec.commandLine().getErr());
            stopped.countDown();
        }, "specrej-shutdown"));
        stopped.await();
        return 0;
    }

    /** Checks the options, starts HTTP (503 while loading), loads the models and starts the scheduler. */
    public Server start() {
        for (Object[] check : new Object[][] {{"--max-batch", maxBatch}, {"--prefill-chunk", prefillChunk},
                {"--max-queue", maxQueue}, {"--max-n", maxN}, {"--max-best-of", maxBestOf},
                {"--max-candidates", maxCandidates}, {"--default-max-tokens", defaultMaxTokens},
                {"--request-timeout", requestTimeout}}) {
            if ((int) check[1] < 1) {
                throw new BadInputException(check[0] + " must be at least 1, got " + check[1]);
            }
        }
        if (port < 0 || port > 65535) {
            throw new BadInputException("--port must be in [0, 65535], got " + port);
        }
        if (grace < 0) {
            throw new BadInputException("--grace must be 0 or more seconds, got " + grace);
        }
        if (threads != null) {
            if (threads < 1) {
                throw new BadInputException("--threads must be at least 1, got " + threads);
            }
            Parallel.setThreads(threads);
        }
        long budget = ByteSizes.parse(memoryBudget, "--memory-budget");
        long perRequest = requestBudget == null ? Math.min(DEFAULT_REQUEST_BUDGET, budget)
                : ByteSizes.parse(requestBudget, "--request-budget");
        if (perRequest > budget) {
            throw new BadInputException("--request-budget " + requestBudget + " is more than --memory-budget "
                    + memoryBudget);
        }
        Path generatorDir = model != null ? model : DefaultModels.generator();
        Path rewardDir = rewardModel == null ? DefaultModels.rewardModel()
                : rewardModel.equals("none") ? null : Path.of(rewardModel);
        String name = servedName != null ? servedName
                : generatorDir.toAbsolutePath().normalize().getFileName().toString();
        String key = apiKey != null ? apiKey : System.getenv("SPECREJ_API_KEY");
        if (key != null && key.isEmpty()) {
            throw new BadInputException("--api-key is empty");
        }
        ServeLimits limits = new ServeLimits(ByteSizes.parse(maxBody, "--max-body"), maxN, maxBestOf, maxCandidates,
                perRequest, requestTimeout * 1000L, defaultMaxTokens);
        ServerState state = new ServerState(name, limits);
        ApiServer http = new ApiServer(state, key);
        int bound;
        try {
            bound = http.start(host, port);
        } catch (RuntimeException e) {
            throw new BadInputException("cannot listen on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        Generation generation = null;
        RewardService rewards = null;
        try {
            generation = Generation.load(generatorDir);
            if (generation.model().config().head() != Head.CAUSAL_LM) {
                throw new BadInputException("--model " + generatorDir + ": " + generation.model().config()
                        .architecture() + " is a sequence classifier; the generator must be a causal LM");
            }
            rewards = rewardDir == null ? null : RewardService.load(rewardDir, generation.tokenizer(), rewardLabel);
            GenerationConfig config = GenerationConfig.load(generatorDir, generation.model().config());
            Scheduler scheduler = new Scheduler(generation, rewards,
                    new Scheduler.Config(budget, maxBatch, prefillChunk, maxQueue));
            scheduler.start();
            state.ready(scheduler, generation, new RequestPlanner(generation, config, limits, budget));
        } catch (RuntimeException e) {
            http.close();
            if (rewards != null) {
                rewards.close();
            }
            if (generation != null) {
                generation.close();
            }
            throw e;
        }
        PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "specrej serve: ready on http://%s:%d (model %s from %s, reward model %s, KV budget "
                        + "%d bytes, %d threads)%n", host, bound, name, generatorDir,
                rewardDir == null ? "none" : rewardDir, budget, Parallel.threads());
        err.flush();
        return new Server(state, http, generation, rewards, bound);
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    /** A running server: its port, and a graceful stop. */
    public static final class Server {
        private final ServerState state;
        private final ApiServer http;
        private final Generation generation;
        private final RewardService rewards;
        private final int port;
        private boolean stopped;

        Server(ServerState state, ApiServer http, Generation generation, RewardService rewards, int port) {
            this.state = state;
            this.http = http;
            this.generation = generation;
            this.rewards = rewards;
            this.port = port;
        }

        public int port() {
            return port;
        }

        public Scheduler scheduler() {
            return state.scheduler();
        }

        /** Stops accepting (503), lets running requests finish for up to {@code graceMillis}, then cancels them. */
        public synchronized void stop(long graceMillis, PrintWriter log) {
            if (stopped) {
                return;
            }
            stopped = true;
            state.stopping();
            Scheduler s = state.scheduler();
            s.shutdown(graceMillis);
            long deadline = System.currentTimeMillis() + 2000; // the handlers' last bytes
            while (state.inFlight().get() > 0 && System.currentTimeMillis() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    break;
                }
            }
            http.close();
            s.close();
            if (rewards != null) {
                rewards.close();
            }
            generation.close();
            if (log != null) {
                log.println("specrej serve: stopped");
                log.flush();
            }
        }
    }
}
