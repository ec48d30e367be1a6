package io.kubeless;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Echoes the data: JSON as the objects it parses to (which the runtime encodes as JSON again),
 * anything else as the string it is. Java's event data is always a string, so the function parses.
 */
public class Echo {
  public Object handler(io.kubeless.Event event, io.kubeless.Context context) {
    if (event.getEventType().startsWith("application/json")) {
      Parser parser = new Parser(event.Data);
      Object value = parser.value();
      parser.space();
      if (parser.at < parser.text.length()) {
        throw new IllegalArgumentException("trailing text at " + parser.at);
      }
      return value;
    }
    return event.Data;
  }

  private static final class Parser {
    final String text;
    int at;

    Parser(String text) {
      this.text = text;
    }

    Object value() {
      space();
      char c = text.charAt(at);
      switch (c) {
        case '{':
          Map<String, Object> object = new LinkedHashMap<>();
          at++;
          space();
          if (text.charAt(at) == '}') {
            at++;
            return object;
          }
          do {
            space();
            String key = string();
            space();
            expect(':');
            object.put(key, value());
            space();
          } while (text.charAt(at++) == ',');
          return object;
        case '[':
          List<Object> array = new ArrayList<>();
          at++;
          space();
          if (text.charAt(at) == ']') {
            at++;
            return array;
          }
          do {
            array.add(value());
            space();
          } while (text.charAt(at++) == ',');
          return array;
        case '"':
          return string();
        default:
          return literal();
      }
    }

    Object literal() {
      int start = at;
      while (at < text.length() && "{}[],: \t\r\n".indexOf(text.charAt(at)) < 0) {
        at++;
      }
      String word = text.substring(start, at);
      switch (word) {
        case "true":
          return true;
        case "false":
          return false;
        case "null":
          return null;
        default:
          return word.matches("-?\\d+") ? (Object) Long.parseLong(word) : Double.parseDouble(word);
      }
    }

    String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      for (char c = text.charAt(at++); c != '"'; c = text.charAt(at++)) {
        if (c == '\\') {
          char e = text.charAt(at++);
          switch (e) {
            case 'n' -> out.append('\n');
            case 't' -> out.append('\t');
            case 'r' -> out.append('\r');
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'u' -> {
              out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
              at += 4;
            }
            default -> out.append(e);
          }
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }

    void expect(char c) {
      if (text.charAt(at++) != c) {
        throw new IllegalArgumentException("expected " + c + " at " + (at - 1));
      }
    }

    void space() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }
  }
}
