package formations.gateway;

import java.io.File;
import javax.servlet.ServletContext;

/** What the servlets share: the user mapping (read once, at start), the tokens, where guacd is. */
final class Gateway {
  private static final String KEY = Gateway.class.getName();

  final UserMapping mapping;
  final Tokens tokens = new Tokens();
  final String guacdHost;
  final int guacdPort;

  private Gateway(UserMapping mapping, String guacdHost, int guacdPort) {
    this.mapping = mapping;
    this.guacdHost = guacdHost;
    this.guacdPort = guacdPort;
  }

  static synchronized Gateway of(ServletContext ctx) {
    Gateway g = (Gateway) ctx.getAttribute(KEY);
    if (g != null) return g;
    String home = env("GUACAMOLE_HOME", "/etc/guacamole");
    try {
      g = new Gateway(UserMapping.load(new File(home, "user-mapping.xml")), env("GUACD_HOSTNAME", "localhost"), Integer.parseInt(env("GUACD_PORT", "4822")));
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + home + "/user-mapping.xml: " + e.getMessage(), e);
    }
    ctx.setAttribute(KEY, g);
    return g;
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }
}
