package io.specrej.engine.model;

/**
 * How a family's transformer block computes, as {@link ForwardPass} and {@link CachedAttention} read it: the only
 * per-family switches in the computation. An {@link Architecture} decides them from config.json.
 *
 * @param norm               RMSNorm (weight only) or LayerNorm (weight and bias) for every norm of the model
 * @param positions          how positions enter: rotary (rotate-half or interleaved pairs) or learned embeddings
 * @param rotaryDim          dimensions of each head that rotary embeddings rotate (head_dim, or GPT-J's rotary_dim)
 * @param parallelResidual   GPT-J: {@code x + attn(ln_1(x)) + mlp(ln_1(x))}, one norm per block, instead of two
 *                           residual steps with their own norms
 * @param gatedMlp           {@code down(act(gate(x)) * up(x))} (SwiGLU) instead of {@code down(act(up(x)))}
 * @param qkNorm             per-head RMSNorm of queries and keys before the rotation (Qwen3)
 * @param divideScoresBySqrt attention scores divided by sqrt(head_dim) (GPT-2, GPT-J) rather than multiplied by
 *                           head_dim ** -0.5 (the Llama family); the two differ in the last bit
 * @param contextKey         the config.json key that sets the context window, for error messages
 */
public record BlockOptions(
        Norm norm,
        Positions positions,
        int rotaryDim,
        boolean parallelResidual,
        boolean gatedMlp,
        boolean qkNorm,
        boolean divideScoresBySqrt,
        String contextKey) {

    public enum Norm { RMS, LAYER }

    public enum Positions {
        /** Llama's rotate_half: element i pairs with i + rotaryDim/2. */
        ROTARY_HALF,
        /** GPT-J's rotate_every_two: elements 2i and 2i+1 pair. */
        ROTARY_INTERLEAVED,
        /** GPT-2's learned position embeddings (wpe), added to the token embeddings. */
        LEARNED
    }

    public boolean rotary() {
        return positions != Positions.LEARNED;
    }
}
