package io.specrej.engine.model;

import java.util.Arrays;

/**
 * What one forward pass is asked to do, as plain data (llama.cpp's {@code llama_batch}): the sequences that get new
 * tokens, their tokens, and which token positions' outputs are wanted. Built with {@link Builder}, which reuses its
 * arrays, so a scheduler that builds one per step allocates nothing once the batch shape has been seen.
 *
 * @param sequenceIds  cache ids, {@code count} of them, each at most once
 * @param offsets      sequence i's new tokens are {@code tokens[offsets[i] .. offsets[i+1])}, at least one each
 * @param count        number of sequences
 * @param tokens       the new tokens, concatenated
 * @param outputRows   ascending indexes into {@code tokens} whose outputs are wanted, {@code outputCount} of them
 * @param outputCount  number of output rows
 */
public record ForwardBatch(int[] sequenceIds, int[] offsets, int count, int[] tokens, int[] outputRows,
                           int outputCount) {

    /** Total new tokens. */
    public int tokenCount() {
        return offsets[count];
    }

    /** Accumulates sequences and their tokens; {@link #build()} views the current contents. */
    public static final class Builder {
        private int[] ids = new int[16];
        private int[] offsets = new int[17];
        private int[] tokens = new int[64];
        private int[] outputs = new int[16];
        private int count;
        private int outputCount;

        public void clear() {
            count = 0;
            outputCount = 0;
        }

        public int count() {
            return count;
        }

        public int tokenCount() {
            return offsets[count];
        }

        public int outputCount() {
            return outputCount;
        }

        /**
         * Adds {@code length} tokens of {@code source} from {@code from} for sequence {@code id}; when
         * {@code wantOutput} the output at its last token becomes the next output row, whose index is returned
         * (-1 otherwise).
         */
        public int add(int id, int[] source, int from, int length, boolean wantOutput) {
            return add(id, source, from, length, wantOutput ? length - 1 : -1, -1);
        }

        /**
         * Adds {@code length} tokens of {@code source} from {@code from} for sequence {@code id}, with output rows at
         * up to two of them ({@code firstOutput} < {@code secondOutput}, counted from {@code from}; -1 for none);
         * returns the first one's row index (the second's is the next), or -1.
         */
        public int add(int id, int[] source, int from, int length, int firstOutput, int secondOutput) {
            if (length < 1) {
                throw new IllegalArgumentException("a sequence in a forward batch needs at least one token");
            }
            if (firstOutput >= length || secondOutput >= length || (secondOutput >= 0 && secondOutput <= firstOutput)) {
                throw new IllegalArgumentException("outputs at " + firstOutput + ", " + secondOutput + " of "
                        + length + " tokens");
            }
            growSequences();
            int start = offsets[count];
            if (start + length > tokens.length) {
                tokens = Arrays.copyOf(tokens, Math.max(start + length, tokens.length * 2));
            }
            System.arraycopy(source, from, tokens, start, length);
            ids[count] = id;
            offsets[count + 1] = start + length;
            count++;
            if (firstOutput < 0) {
                return -1;
            }
            int row = output(start + firstOutput);
            if (secondOutput >= 0) {
                output(start + secondOutput);
            }
            return row;
        }

        private int output(int token) {
            if (outputCount == outputs.length) {
                outputs = Arrays.copyOf(outputs, outputs.length * 2);
            }
            outputs[outputCount] = token;
            return outputCount++;
        }

        /** Adds one token for sequence {@code id} and asks for its output; returns the output row. */
        public int addOne(int id, int token) {
            growSequences();
            int start = offsets[count];
            if (start + 1 > tokens.length) {
                tokens = Arrays.copyOf(tokens, tokens.length * 2);
            }
            tokens[start] = token;
            ids[count] = id;
            offsets[count + 1] = start + 1;
            count++;
            return output(start);
        }

        private void growSequences() {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
                offsets = Arrays.copyOf(offsets, ids.length + 1);
            }
        }

        /** The batch as it is now (views of this builder's arrays: valid until the next change). */
        public ForwardBatch build() {
            return new ForwardBatch(ids, offsets, count, tokens, outputs, outputCount);
        }
    }
}
