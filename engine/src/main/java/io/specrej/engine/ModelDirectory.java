package io.specrej.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** The first check on a {@code --model}-style argument, so that a file given by mistake is named as such. */
public final class ModelDirectory {
    private ModelDirectory() {
    }

    /** @throws BadInputException when {@code dir} does not exist or is not a directory */
    public static void require(Path dir) {
        if (Files.isDirectory(dir)) {
            return;
        }
        throw new BadInputException(dir + (Files.exists(dir) ? ": is a file, expected a Hugging Face model directory "
                + "(config.json, *.safetensors, tokenizer.json)" : ": the directory does not exist"));
    }
}
