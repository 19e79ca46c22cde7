package io.specrej.engine.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code exp} for softmax, vectorised with nothing but IEEE-exact operations (add, multiply, fused multiply-add,
 * max, float-int conversion, shifts), so a lane computed by compiled code, by the Vector API's interpreter fallback
 * or by the scalar tail gives the same bits. (The Vector API's own {@code EXP} calls a vector math library when
 * compiled and {@code Math.exp} otherwise, which can differ in the last bit and would break batch invariance.)
 *
 * <p>Method (Cephes {@code expf}): {@code exp(x) = 2^k * p(r)} with {@code k = round(x / ln 2)}, {@code r = x - k ln 2}
 * in two parts, and a degree-7 polynomial for {@code p}; relative error below 2e-7 (about 2 ulp). Inputs are
 * clamped to [-87.3, 88], where {@code 2^k} is a normal float: below it the result is about 1e-38
 * instead of a denormal or 0, which no softmax can tell apart.
 */
public final class Exp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Doubles in a vector of S's size: a float vector converts into two of them. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());
    private static final float LOW = -87.33654f;
    private static final float HIGH = 88.0f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;
    /** Added before truncating to int so that truncation rounds down for every clamped input (all k >= -127). */
    private static final float BIAS = 127.5f;

    private Exp() {
    }

    /** {@code exp(x)}, the scalar form of the vector lanes (same operations, same bits). */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, LOW), HIGH);
        int k = (int) Math.fma(c, LOG2E, BIAS) - 127;
        float kf = k;
        float r = Math.fma(kf, -LN2_LO, Math.fma(kf, -LN2_HI, c));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((k + 127) << 23);
    }

    /** The vector form of {@link #exp(float)}: the same operations lane by lane. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(LOW).min(HIGH);
        IntVector k = ((IntVector) c.fma(LOG2E, BIAS).convert(VectorOperators.F2I, 0)).sub(127);
        FloatVector kf = (FloatVector) k.convert(VectorOperators.I2F, 0);
        FloatVector r = kf.fma(FloatVector.broadcast(S, -LN2_LO), kf.fma(FloatVector.broadcast(S, -LN2_HI), c));
        FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(S, P2)).fma(r, FloatVector.broadcast(S, P3))
                .fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale);
    }

    /**
     * {@code sum exp(a[i] - shift)} over {@code a[from .. from+count)} in double precision: each term is
     * {@link #exp(float)}'s (the same bits vectorised or not), converted exactly to double and added per lane in index
     * order, then the lanes in order, then the tail: the same sum for the same inputs however the code runs.
     */
    public static double sumExpShifted(float[] a, int from, int count, float shift) {
        int i = 0;
        double sum = 0;
        int bound = S.loopBound(count);
        if (bound > 0) {
            DoubleVector low = DoubleVector.zero(D);
            DoubleVector high = low;
            for (; i < bound; i += S.length()) {
                FloatVector e = exp(FloatVector.fromArray(S, a, from + i).sub(shift));
                low = low.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0));
                high = high.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1));
            }
            for (int lane = 0; lane < D.length(); lane++) {
                sum += low.lane(lane);
            }
            for (int lane = 0; lane < D.length(); lane++) {
                sum += high.lane(lane);
            }
        }
        for (; i < count; i++) {
            sum += exp(a[from + i] - shift);
        }
        return sum;
    }

    /**
     * Replaces {@code a[from .. from+count)} by {@code exp(a[i] - shift)} and returns their sum (lanes summed in the
     * fixed order of {@link Lanes#sum}, then the tail in index order: the same bits for the same inputs).
     */
    public static float expShiftedInPlace(float[] a, int from, int count, float shift) {
        int i = 0;
        float sum = 0f;
        int bound = S.loopBound(count);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += S.length()) {
                FloatVector e = exp(FloatVector.fromArray(S, a, from + i).sub(shift));
                e.intoArray(a, from + i);
                acc = acc.add(e);
            }
            sum = Lanes.sum(acc);
        }
        for (; i < count; i++) {
            float e = exp(a[from + i] - shift);
            a[from + i] = e;
            sum += e;
        }
        return sum;
    }
}
