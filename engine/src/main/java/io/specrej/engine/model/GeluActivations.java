package io.specrej.engine.model;

import io.specrej.engine.BadInputException;

/** The {@code activation_function} values of the GELU families (GPT-2, GPT-J). */
final class GeluActivations {
    private GeluActivations() {
    }

    static String read(ConfigFields f) {
        String activation = f.string("activation_function", "gelu_new");
        if (!activation.equals("gelu_new") && !activation.equals("gelu_pytorch_tanh") && !activation.equals("gelu")) {
            throw new BadInputException(f.file + ": activation \"" + activation + "\" is not supported (supported: "
                    + "gelu_new, gelu_pytorch_tanh, gelu)");
        }
        return activation;
    }
}
