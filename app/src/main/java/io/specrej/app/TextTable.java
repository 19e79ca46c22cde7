package io.specrej.app;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A plain-text table: a header, rows of cells, columns padded to their widest cell (text left, numbers right). */
final class TextTable {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    TextTable(String... header) {
        this.columns = header.length;
        rows.add(header);
    }

    TextTable row(Object... cells) {
        String[] r = new String[columns];
        for (int i = 0; i < columns; i++) {
            r[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
        }
        rows.add(r);
        return this;
    }

    void print(PrintWriter out) {
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (int k = 0; k < rows.size(); k++) {
            String[] r = rows.get(k);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                boolean right = k > 0 && i > 0 && numeric(r[i]);
                String pad = " ".repeat(width[i] - r[i].length());
                line.append(i == 0 ? "" : "  ").append(right ? pad + r[i] : r[i] + (i == columns - 1 ? "" : pad));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    private static boolean numeric(String cell) {
        return cell.matches("[-+]?[0-9.,]+[%x]?( s)?|n/a|-");
    }

    /** A number with a fixed count of decimals, or "n/a" when it is not a number. */
    static String fixed(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "n/a";
    }
}
