package formations.gateway;

import java.io.IOException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * The part of Guacamole's REST API a lab needs, with Guacamole's shapes: POST api/tokens
 * (form username + password → authToken), DELETE api/tokens/TOKEN, and GET
 * api/session/data/default/connections?token=TOKEN.
 */
public final class ApiServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
    if (!"/tokens".equals(req.getPathInfo())) { json(res, 404, error("Not found.", "NOT_FOUND")); return; }
    Gateway g = Gateway.of(getServletContext());
    if (!g.mapping.accepts(req.getParameter("username"), req.getParameter("password"))) {
      json(res, 403, error("Invalid login.", "INVALID_CREDENTIALS"));
      return;
    }
    String token = g.tokens.issue();
    json(res, 200, "{\"authToken\":" + str(token) + ",\"username\":" + str(g.mapping.username) + ",\"dataSource\":\"default\",\"availableDataSources\":[\"default\"]}");
  }

  @Override
  protected void doDelete(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String path = req.getPathInfo();
    if (path == null || !path.startsWith("/tokens/")) { json(res, 404, error("Not found.", "NOT_FOUND")); return; }
    Gateway.of(getServletContext()).tokens.revoke(path.substring("/tokens/".length()));
    res.setStatus(204);
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Gateway g = Gateway.of(getServletContext());
    if (!g.tokens.valid(token(req))) { json(res, 403, error("Permission denied.", "PERMISSION_DENIED")); return; }
    if (!"/session/data/default/connections".equals(req.getPathInfo())) { json(res, 404, error("Not found.", "NOT_FOUND")); return; }
    StringBuilder b = new StringBuilder("{");
    for (UserMapping.Connection c : g.mapping.connections) {
      if (b.length() > 1) b.append(',');
      b.append(str(c.name)).append(":{\"identifier\":").append(str(c.name)).append(",\"name\":").append(str(c.name)).append(",\"protocol\":").append(str(c.protocol)).append('}');
    }
    json(res, 200, b.append('}').toString());
  }

  static String token(HttpServletRequest req) {
    String t = req.getHeader("Guacamole-Token");
    return t != null ? t : req.getParameter("token");
  }

  private static String error(String message, String type) {
    return "{\"message\":" + str(message) + ",\"type\":" + str(type) + "}";
  }

  private static void json(HttpServletResponse res, int status, String body) throws IOException {
    res.setStatus(status);
    res.setContentType("application/json");
    res.setCharacterEncoding("UTF-8");
    res.setHeader("Cache-Control", "no-store");
    res.getWriter().write(body);
  }

  /** A JSON string literal. */
  static String str(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
