package formations.gateway;

import java.security.SecureRandom;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Login tokens: 256 random bits, in memory, valid for an hour after the last use. */
final class Tokens {
  private static final long TTL_MS = 60 * 60 * 1000L;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Map<String, Long> expiry = new ConcurrentHashMap<>();

  String issue() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    StringBuilder s = new StringBuilder();
    for (byte x : b) s.append(String.format("%02X", x));
    String token = s.toString();
    expiry.put(token, System.currentTimeMillis() + TTL_MS);
    return token;
  }

  boolean valid(String token) {
    if (token == null) return false;
    long now = System.currentTimeMillis();
    for (Iterator<Map.Entry<String, Long>> it = expiry.entrySet().iterator(); it.hasNext(); ) if (it.next().getValue() < now) it.remove();
    Long until = expiry.get(token);
    if (until == null) return false;
    expiry.put(token, now + TTL_MS);
    return true;
  }

  void revoke(String token) {
    if (token != null) expiry.remove(token);
  }
}
