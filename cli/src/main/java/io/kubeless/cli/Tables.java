package io.kubeless.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns separated by three spaces, one row per line, as kubectl prints them. */
final class Tables {

  private Tables() {}

  static void print(PrintWriter out, List<String> header, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    int[] widths = new int[header.size()];
    for (List<String> row : all) {
      if (row.size() != header.size()) {
        throw new IllegalArgumentException("a row has " + row.size() + " values for " + header);
      }
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], cell(row.get(i)).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        String value = cell(row.get(i));
        line.append(value);
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - value.length() + 3));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** A value on one line: multi-line values (dependency files) are joined with spaces. */
  private static String cell(String value) {
    return value == null ? "" : value.strip().replaceAll("\\s*\\R\\s*", " ");
  }
}
