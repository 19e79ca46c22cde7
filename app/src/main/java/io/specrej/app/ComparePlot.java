package io.specrej.app;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The paper's figure: improvement score against relative compute on a log2 axis (ticks read as multiples of the
 * baseline: 1/4x, 1/2x, 1x, 2x, ...), Best-of-N as one line through its runs in order of compute, every other run
 * (each alpha) as a point of its own with its label, and margins so that no label is clipped. Drawn headless.
 */
final class ComparePlot {
    private ComparePlot() {
    }

    static void save(List<CompareCommand.Row> rows, Path file, String axis) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<CompareCommand.Row> plotted = new ArrayList<>();
        for (CompareCommand.Row r : rows) {
            if (Double.isFinite(r.outcome().score()) && Double.isFinite(r.compute(axis)) && r.compute(axis) > 0) {
                plotted.add(r);
            }
        }
        if (plotted.isEmpty()) {
            throw new BadInputException("--plot: no run has a defined improvement score and " + axis + " to plot");
        }
        double minX = plotted.stream().mapToDouble(r -> log2(r.compute(axis))).min().orElseThrow();
        double maxX = plotted.stream().mapToDouble(r -> log2(r.compute(axis))).max().orElseThrow();
        double minY = plotted.stream().mapToDouble(r -> r.outcome().score()).min().orElseThrow();
        double maxY = plotted.stream().mapToDouble(r -> r.outcome().score()).max().orElseThrow();
        String what = switch (axis) {
            case "wall" -> "wall time";
            case "reward-tokens" -> "reward-model tokens";
            default -> "generated tokens";
        };
        XYChart chart = new XYChartBuilder().width(1100).height(650)
                .title("Reward vs compute")
                .xAxisTitle("relative compute: " + what + " / baseline's (log2 scale)")
                .yAxisTitle("improvement score (baseline = 100)")
                .build();
        // Margins: a label is drawn centred above its point, so the axes extend past the outermost points.
        double spanX = Math.max(1, maxX - minX);
        double spanY = maxY > minY ? maxY - minY : Math.max(1, Math.abs(maxY) * 0.1);
        double left = Math.floor(minX - 0.15 * spanX);
        double right = Math.ceil(maxX + 0.15 * spanX);
        chart.getStyler().setXAxisMin(left);
        chart.getStyler().setXAxisMax(right);
        // About one tick per power of two: the spacing hint is in pixels of the ~800-pixel-wide plot area.
        chart.getStyler().setXAxisTickMarkSpacingHint((int) Math.max(50, 780 / (right - left)));
        chart.getStyler().setYAxisMin(minY - 0.12 * spanY);
        chart.getStyler().setYAxisMax(maxY + 0.18 * spanY);
        chart.setCustomXAxisTickLabelsFormatter(ComparePlot::multiple);
        // One legend entry per point: a column beside the plot, where any number of them fits unclipped.
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Vertical);
        chart.getStyler().setMarkerSize(10);
        double lift = 0.05 * spanY;
        List<CompareCommand.Row> line = new ArrayList<>();
        for (CompareCommand.Row r : plotted) {
            if (r.strategy() == StrategyName.BON) {
                line.add(r);
            }
        }
        if (!line.isEmpty()) {
            line.sort(Comparator.comparingDouble(r -> r.compute(axis)));
            XYSeries series = chart.addSeries(StrategyName.BON.title,
                    line.stream().mapToDouble(r -> log2(r.compute(axis))).toArray(),
                    line.stream().mapToDouble(r -> r.outcome().score()).toArray());
            series.setMarker(SeriesMarkers.CIRCLE);
        }
        for (CompareCommand.Row r : plotted) {
            String label = (r.alpha() != null ? "alpha=" + r.alpha() + ", " : "") + "N=" + r.n();
            if (r.strategy() != StrategyName.BON) {
                XYSeries point = chart.addSeries(label,
                        new double[] {log2(r.compute(axis))}, new double[] {r.outcome().score()});
                point.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                point.setMarker(SeriesMarkers.DIAMOND);
            }
            chart.addAnnotation(new org.knowm.xchart.AnnotationText(label, log2(r.compute(axis)),
                    r.outcome().score() + lift, false));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    /** A log2 tick as the multiple it stands for: 1/4x, 1/2x, 1x, 2x; between powers, two significant digits. */
    static String multiple(double log2) {
        double v = Math.pow(2, log2);
        if (Math.abs(log2 - Math.rint(log2)) < 1e-9) {
            long k = Math.round(log2);
            return k >= 0 ? (1L << Math.min(k, 62)) + "x" : "1/" + (1L << Math.min(-k, 62)) + "x";
        }
        return String.format(java.util.Locale.ROOT, v >= 10 ? "%.0fx" : v >= 1 ? "%.1fx" : "%.2fx", v);
    }
}
