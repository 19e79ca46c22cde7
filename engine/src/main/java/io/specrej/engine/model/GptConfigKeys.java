package io.specrej.engine.model;

import io.specrej.engine.BadInputException;

/** The config.json keys GPT-2 and GPT-J share (n_embd, n_head, activation_function). */
final class GptConfigKeys {
    private GptConfigKeys() {
    }

    /** n_embd and n_head, checked to divide. */
    static int[] hiddenAndHeads(ConfigFields f) {
        int hidden = f.positiveInt("n_embd", null);
        int heads = f.positiveInt("n_head", null);
        if (hidden % heads != 0) {
            throw new BadInputException(f.file + ": n_embd " + hidden + " is not divisible by n_head " + heads);
        }
        return new int[] {hidden, heads};
    }

    static String activation(ConfigFields f) {
        String activation = f.string("activation_function", "gelu_new");
        if (!activation.equals("gelu_new") && !activation.equals("gelu_pytorch_tanh") && !activation.equals("gelu")) {
            throw new BadInputException(f.file + ": activation \"" + activation + "\" is not supported (supported: "
                    + "gelu_new, gelu_pytorch_tanh, gelu)");
        }
        return activation;
    }
}
