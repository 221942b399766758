package formations.gateway;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The lab's login and connections, read from $GUACAMOLE_HOME/user-mapping.xml in the format of
 * Guacamole's file authentication (the Docker adapter renders it at start with the session's
 * gateway password): one authorize element, its connections with protocol and parameters.
 */
final class UserMapping {
  static final class Connection {
    final String name;
    final String protocol;
    final Map<String, String> params;

    Connection(String name, String protocol, Map<String, String> params) {
      this.name = name;
      this.protocol = protocol;
      this.params = Collections.unmodifiableMap(params);
    }
  }

  final String username;
  private final byte[] password;
  final List<Connection> connections;

  private UserMapping(String username, String password, List<Connection> connections) {
    this.username = username;
    this.password = password.getBytes(StandardCharsets.UTF_8);
    this.connections = Collections.unmodifiableList(connections);
  }

  /** Constant-time comparison: the time taken says nothing about the password. */
  boolean accepts(String user, String pass) {
    if (user == null || pass == null) return false;
    boolean u = MessageDigest.isEqual(username.getBytes(StandardCharsets.UTF_8), user.getBytes(StandardCharsets.UTF_8));
    boolean p = MessageDigest.isEqual(password, pass.getBytes(StandardCharsets.UTF_8));
    return u & p;
  }

  Connection connection(String name) {
    for (Connection c : connections) if (c.name.equals(name)) return c;
    return null;
  }

  static UserMapping load(File file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    // No DTDs, no external entities: the file is ours, but a parser should never fetch anything.
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setExpandEntityReferences(false);
    Document doc = f.newDocumentBuilder().parse(file);
    NodeList auths = doc.getElementsByTagName("authorize");
    if (auths.getLength() != 1) throw new IllegalStateException(file + ": expected one <authorize>, found " + auths.getLength());
    Element auth = (Element) auths.item(0);
    List<Connection> connections = new ArrayList<>();
    NodeList conns = auth.getElementsByTagName("connection");
    for (int i = 0; i < conns.getLength(); i++) {
      Element c = (Element) conns.item(i);
      NodeList protocol = c.getElementsByTagName("protocol");
      if (protocol.getLength() != 1) throw new IllegalStateException(file + ": a connection needs one <protocol>");
      Map<String, String> params = new LinkedHashMap<>();
      NodeList ps = c.getElementsByTagName("param");
      for (int j = 0; j < ps.getLength(); j++) {
        Element p = (Element) ps.item(j);
        params.put(p.getAttribute("name"), p.getTextContent());
      }
      connections.add(new Connection(c.getAttribute("name"), protocol.item(0).getTextContent().trim(), params));
    }
    return new UserMapping(auth.getAttribute("username"), auth.getAttribute("password"), connections);
  }
}
