package io.kubeless;

import java.time.LocalTime;
import org.apache.commons.lang3.StringUtils;

/** Uses a dependency from its Kubeless-style pom.xml; handler sayHello. */
public class Clock {
  public String sayHello(io.kubeless.Event event, io.kubeless.Context context) {
    return StringUtils.capitalize("hello")
        + " "
        + StringUtils.lowerCase("WORLD")
        + "! Current local time is: "
        + LocalTime.now();
  }
}
