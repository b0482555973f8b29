// Curator 5's reconfig API (CuratorFramework.reconfig() and getConfig(), over ZooKeeperAdmin)
// against an ensemble with reconfigEnabled=true: the same steps as kazoo/reconfig.py, adding an
// observer, bad input, a stale fromConfig, a client without super auth, no voters left, and
// removing the observer. Arguments: a connect string, the super user's password, server 4's
// line. Prints one JSON line (keys sorted) of each step's outcome: the configuration's server
// ids and roles, or the KeeperException's code name.
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public class CuratorReconfig {
  /** What a step returned: the config's bytes and the stat Curator filled in. */
  record Answer(byte[] data, Stat stat) {}

  /** `server.N=host:q:e:role;client` lines as {N: role}, and the `version=` line's value. */
  static Map<String, String> roles(byte[] data) {
    Map<String, String> roles = new TreeMap<>();
    for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
      if (!line.startsWith("server.")) continue;
      String[] keyValue = line.split("=", 2);
      roles.put(keyValue[0].substring("server.".length()), keyValue[1].split(";")[0].split(":")[3]);
    }
    return roles;
  }

  static long version(byte[] data) {
    for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("version=")) return Long.parseLong(line.substring(8), 16);
    }
    return -1;
  }

  static String json(Map<String, ?> map) {
    StringBuilder out = new StringBuilder("{");
    for (Map.Entry<String, ?> entry : new TreeMap<>(map).entrySet()) {
      if (out.length() > 1) out.append(", ");
      out.append('"').append(entry.getKey()).append("\": ");
      Object value = entry.getValue();
      if (value instanceof Map<?, ?> nested) {
        @SuppressWarnings("unchecked")
        Map<String, ?> inner = (Map<String, ?>) nested;
        out.append(json(inner));
      } else if (value instanceof String text) {
        out.append('"').append(text).append('"');
      } else {
        out.append(value);
      }
    }
    return out.append('}').toString();
  }

  static Map<String, Object> attempt(Callable<Answer> step) throws Exception {
    Map<String, Object> outcome = new TreeMap<>();
    try {
      Answer answer = step.call();
      outcome.put("roles", roles(answer.data()));
      outcome.put("version_is_mzxid", version(answer.data()) == answer.stat().getMzxid());
      outcome.put("node_version", answer.stat().getVersion());
    } catch (KeeperException error) {
      outcome.put("error", error.code().name());
    }
    return outcome;
  }

  static CuratorFramework client(String hosts, String password) throws Exception {
    CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
        .connectString(hosts)
        .sessionTimeoutMs(6000)
        .connectionTimeoutMs(10000)
        .retryPolicy(new RetryOneTime(500))
        // Exceptions reach the step as the server answered them.
        .ensembleTracker(false);
    if (password != null) {
      builder.authorization("digest", ("super:" + password).getBytes(StandardCharsets.UTF_8));
    }
    CuratorFramework client = builder.build();
    client.start();
    if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
    return client;
  }

  public static void main(String[] arguments) throws Exception {
    String hosts = arguments[0];
    String password = arguments[1];
    String observerLine = arguments[2];
    CuratorFramework admin = client(hosts, password);
    CuratorFramework guest = client(hosts, null);
    long startVersion = version(admin.getConfig().forEnsemble());
    Map<String, Object> result = new TreeMap<>();
    result.put("add_observer", attempt(() -> {
      Stat stat = new Stat();
      byte[] data = admin.reconfig().joining(observerLine).storingStatIn(stat).forEnsemble();
      return new Answer(data, stat);
    }));
    result.put("bad_server_line", attempt(() -> {
      Stat stat = new Stat();
      return new Answer(admin.reconfig().joining("server.9=nohost").storingStatIn(stat).forEnsemble(), stat);
    }));
    result.put("no_ports", attempt(() -> {
      Stat stat = new Stat();
      byte[] data = admin.reconfig().joining("server.9=127.0.0.1:1:2").storingStatIn(stat).forEnsemble();
      return new Answer(data, stat);
    }));
    result.put("stale_from_config", attempt(() -> {
      Stat stat = new Stat();
      byte[] data = admin.reconfig().leaving("4").storingStatIn(stat).fromConfig(startVersion).forEnsemble();
      return new Answer(data, stat);
    }));
    result.put("without_super", attempt(() -> {
      Stat stat = new Stat();
      return new Answer(guest.reconfig().leaving("4").storingStatIn(stat).forEnsemble(), stat);
    }));
    // An id past 255 is a valid member (QuorumServer takes any long): the missing auth decides.
    result.put("unknown_member_without_super", attempt(() -> {
      Stat stat = new Stat();
      return new Answer(guest.reconfig().joining("server.999=0.0.0.0:1234:2345:observer;3456")
          .storingStatIn(stat).forEnsemble(), stat);
    }));
    result.put("no_voters_left", attempt(() -> {
      Stat stat = new Stat();
      return new Answer(admin.reconfig().leaving("1", "2", "3").storingStatIn(stat).forEnsemble(), stat);
    }));
    result.put("remove_observer", attempt(() -> {
      Stat stat = new Stat();
      return new Answer(admin.reconfig().leaving("4").storingStatIn(stat).forEnsemble(), stat);
    }));
    // What a client reads afterwards through its own session, after a sync.
    guest.sync().forPath("/zookeeper/config");
    Stat stat = new Stat();
    byte[] after = guest.getConfig().storingStatIn(stat).forEnsemble();
    result.put("final", roles(after));
    System.out.println(json(result));
    admin.close();
    guest.close();
  }
}
