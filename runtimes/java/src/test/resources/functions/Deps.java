package io.kubeless;

import org.apache.commons.lang3.StringUtils;

public class Deps {
  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    return StringUtils.appendIfMissing(StringUtils.upperCase("deps"), "!");
  }
}
