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
 * The paper's figure: improvement score against relative compute (wall time, log scale), Best-of-N and Speculative
 * Rejection as two series, each point labelled with its N or alpha. Drawn headless (no display needed).
 */
final class ComparePlot {
    private ComparePlot() {
    }

    /** Below this spread of x values a log axis would show a single tick, so the axis stays linear. */
    static final double LOG_AXIS_MIN_SPREAD = 10;

    static void save(List<CompareCommand.Row> rows, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<CompareCommand.Row> plotted = new ArrayList<>();
        for (CompareCommand.Row r : rows) {
            if (Double.isFinite(r.outcome().score()) && Double.isFinite(r.outcome().wallRatio())
                    && r.outcome().wallRatio() > 0) {
                plotted.add(r);
            }
        }
        if (plotted.isEmpty()) {
            throw new BadInputException("--plot: no run has a defined improvement score and wall time to plot");
        }
        double minX = plotted.stream().mapToDouble(r -> r.outcome().wallRatio()).min().orElseThrow();
        double maxX = plotted.stream().mapToDouble(r -> r.outcome().wallRatio()).max().orElseThrow();
        double minY = plotted.stream().mapToDouble(r -> r.outcome().score()).min().orElseThrow();
        double maxY = plotted.stream().mapToDouble(r -> r.outcome().score()).max().orElseThrow();
        boolean log = maxX / minX >= LOG_AXIS_MIN_SPREAD;
        XYChart chart = new XYChartBuilder().width(900).height(600)
                .title("Reward vs compute")
                .xAxisTitle("relative compute (wall time / baseline" + (log ? ", log scale" : "") + ")")
                .yAxisTitle("improvement score (baseline = 100)")
                .build();
        chart.getStyler().setXAxisLogarithmic(log);
        if (!log) {
            chart.getStyler().setXAxisDecimalPattern("0.00");
        }
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        chart.getStyler().setMarkerSize(9);
        // labels sit a little above their points, in data units
        double lift = 0.03 * (maxY > minY ? maxY - minY : Math.max(1, Math.abs(maxY)));
        for (StrategyName s : StrategyName.values()) {
            List<CompareCommand.Row> points = new ArrayList<>();
            for (CompareCommand.Row r : plotted) {
                if (r.strategy() == s) {
                    points.add(r);
                }
            }
            if (points.isEmpty()) {
                continue;
            }
            points.sort(Comparator.comparingDouble(r -> r.outcome().wallRatio()));
            double[] x = points.stream().mapToDouble(r -> r.outcome().wallRatio()).toArray();
            double[] y = points.stream().mapToDouble(r -> r.outcome().score()).toArray();
            XYSeries series = chart.addSeries(s.title, x, y);
            series.setMarker(s == StrategyName.BON ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
            for (CompareCommand.Row r : points) {
                String label = (r.alpha() != null ? "alpha=" + r.alpha() + " " : "") + "N=" + r.n();
                chart.addAnnotation(new org.knowm.xchart.AnnotationText(label, r.outcome().wallRatio(),
                        r.outcome().score() + lift, false));
            }
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
