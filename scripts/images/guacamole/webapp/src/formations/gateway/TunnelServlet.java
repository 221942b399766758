package formations.gateway;

import javax.servlet.http.HttpServletRequest;
import org.apache.guacamole.GuacamoleException;
import org.apache.guacamole.GuacamoleSecurityException;
import org.apache.guacamole.net.GuacamoleTunnel;
import org.apache.guacamole.net.InetGuacamoleSocket;
import org.apache.guacamole.net.SimpleGuacamoleTunnel;
import org.apache.guacamole.protocol.ConfiguredGuacamoleSocket;
import org.apache.guacamole.protocol.GuacamoleClientInformation;
import org.apache.guacamole.protocol.GuacamoleConfiguration;
import org.apache.guacamole.servlet.GuacamoleHTTPTunnelServlet;

/**
 * Guacamole's HTTP tunnel (guacamole-common does the protocol): a connect request carries the
 * login token, the connection's name (GUAC_ID) and the browser's screen; the tunnel goes to guacd
 * with that connection's protocol and parameters.
 */
public final class TunnelServlet extends GuacamoleHTTPTunnelServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected GuacamoleTunnel doConnect(HttpServletRequest req) throws GuacamoleException {
    Gateway g = Gateway.of(getServletContext());
    if (!g.tokens.valid(ApiServlet.token(req))) throw new GuacamoleSecurityException("Permission denied.");
    String id = req.getParameter("GUAC_ID");
    UserMapping.Connection c = id != null ? g.mapping.connection(id) : g.mapping.connections.isEmpty() ? null : g.mapping.connections.get(0);
    if (c == null) throw new GuacamoleSecurityException("No such connection.");
    GuacamoleConfiguration config = new GuacamoleConfiguration();
    config.setProtocol(c.protocol);
    config.setParameters(c.params);
    GuacamoleClientInformation info = new GuacamoleClientInformation();
    info.setOptimalScreenWidth(dimension(req.getParameter("GUAC_WIDTH"), 1024));
    info.setOptimalScreenHeight(dimension(req.getParameter("GUAC_HEIGHT"), 768));
    info.setOptimalResolution(dimension(req.getParameter("GUAC_DPI"), 96));
    info.getImageMimetypes().add("image/png");
    info.getImageMimetypes().add("image/jpeg");
    return new SimpleGuacamoleTunnel(new ConfiguredGuacamoleSocket(new InetGuacamoleSocket(g.guacdHost, g.guacdPort), config, info));
  }

  private static int dimension(String value, int fallback) {
    try {
      int v = Integer.parseInt(value);
      return v > 0 && v <= 8192 ? v : fallback;
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
