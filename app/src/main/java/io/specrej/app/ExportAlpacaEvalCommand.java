package io.specrej.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code specrej export-alpaca-eval}: a run's winning responses in AlpacaEval's model_outputs.json format. */
@Command(name = "export-alpaca-eval", mixinStandardHelpOptions = true,
        description = "Write a run's best responses as AlpacaEval model outputs: a JSON list of {\"instruction\": "
                + "prompt, \"output\": best response, \"generator\": NAME}, in prompt_index order.")
final class ExportAlpacaEvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN.jsonl", description = "A file written by specrej run.")
    Path run;

    @Option(names = "--out", required = true, paramLabel = "FILE.json", description = "Where the list goes.")
    Path out;

    @Option(names = "--generator-name", paramLabel = "NAME",
            description = "The \"generator\" field (default: the run file's name without extension, then the "
                    + "strategy, e.g. spr_alpha05-specrej).")
    String generatorName;

    @Option(names = "--force", description = "Overwrite an existing --out (without it, export refuses, as run does).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (generatorName != null && generatorName.isBlank()) {
            throw new BadInputException("--generator-name is empty");
        }
        if (Files.isDirectory(out)) {
            throw new BadInputException("--out " + out + ": is a directory, expected a file");
        }
        if (!force && Files.exists(out)) {
            throw new BadInputException("--out " + out + ": already exists; pass --force to overwrite it");
        }
        PrintWriter err = spec.commandLine().getErr();
        RunFile file = RunFile.read(run).requireRecords();
        var records = file.byPromptIndex(err).values();
        String name = generatorName != null ? generatorName
                : stem(run.getFileName().toString()) + "-" + records.iterator().next().strategy().cliName;
        ArrayNode list = Json.MAPPER.createArrayNode();
        for (RunRecord r : records) {
            list.addObject().put("instruction", r.prompt()).put("output", r.bestText()).put("generator", name);
        }
        Files.writeString(out, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(list) + "\n");
        spec.commandLine().getOut().println("wrote " + list.size() + " output(s) as \"" + name + "\" to " + out);
        spec.commandLine().getOut().flush();
        return Main.EXIT_OK;
    }

    private static String stem(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }
}
