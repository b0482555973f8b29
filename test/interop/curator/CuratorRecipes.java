// Curator 5's recipes and framework API (Debian's libcurator-recipes-java) against one server:
// locks, semaphores, read-write locks, leader latch, CuratorCache (a persistent recursive watch),
// persistent watches, atomic counters, shared counts, barriers, a queue, group membership,
// persistent and TTL nodes, transactions, namespaces and protected creates. Argument: a connect
// string. Prints one JSON line per step, {"step": name, "value": text}, with only what does not
// depend on the server's ids and times, so the output against Apache ZooKeeper 3.8 and against
// corral can be compared line for line.
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.nodes.PersistentTtlNode;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

public class CuratorRecipes {
  static final long WAIT_S = 10;

  static void out(String step, Object value) {
    String text = String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"");
    System.out.println("{\"step\": \"" + step + "\", \"value\": \"" + text + "\"}");
  }

  static CuratorFramework client(String connect) throws Exception {
    CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connect)
        .sessionTimeoutMs(10_000).connectionTimeoutMs(10_000)
        .retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
    client.start();
    if (!client.blockUntilConnected((int) WAIT_S, TimeUnit.SECONDS)) {
      throw new IllegalStateException("not connected");
    }
    return client;
  }

  static String bytes(byte[] data) {
    return data == null ? "null" : new String(data, StandardCharsets.UTF_8);
  }

  static void locks(CuratorFramework a, CuratorFramework b, CuratorFramework c) throws Exception {
    InterProcessMutex mutexA = new InterProcessMutex(a, "/locks/mutex");
    InterProcessMutex mutexB = new InterProcessMutex(b, "/locks/mutex");
    out("mutex a acquires", mutexA.acquire(WAIT_S, TimeUnit.SECONDS));
    out("mutex a re-enters", mutexA.acquire(WAIT_S, TimeUnit.SECONDS));
    out("mutex b while held", mutexB.acquire(200, TimeUnit.MILLISECONDS));
    out("mutex participants", mutexA.getParticipantNodes().size());
    mutexA.release();
    out("mutex still held after one release", mutexA.isAcquiredInThisProcess());
    mutexA.release();
    out("mutex b after release", mutexB.acquire(WAIT_S, TimeUnit.SECONDS));
    mutexB.release();
    out("mutex nodes left", a.getChildren().forPath("/locks/mutex").size());

    InterProcessSemaphoreV2 semA = new InterProcessSemaphoreV2(a, "/locks/sem", 2);
    InterProcessSemaphoreV2 semB = new InterProcessSemaphoreV2(b, "/locks/sem", 2);
    InterProcessSemaphoreV2 semC = new InterProcessSemaphoreV2(c, "/locks/sem", 2);
    Lease leaseA = semA.acquire(WAIT_S, TimeUnit.SECONDS);
    Lease leaseB = semB.acquire(WAIT_S, TimeUnit.SECONDS);
    out("semaphore two leases", leaseA != null && leaseB != null);
    out("semaphore third refused", semC.acquire(200, TimeUnit.MILLISECONDS) == null);
    semA.returnLease(leaseA);
    Lease leaseC = semC.acquire(WAIT_S, TimeUnit.SECONDS);
    out("semaphore third after return", leaseC != null);
    semB.returnLease(leaseB);
    semC.returnLease(leaseC);

    InterProcessReadWriteLock rwA = new InterProcessReadWriteLock(a, "/locks/rw");
    InterProcessReadWriteLock rwB = new InterProcessReadWriteLock(b, "/locks/rw");
    InterProcessReadWriteLock rwC = new InterProcessReadWriteLock(c, "/locks/rw");
    out("read lock a", rwA.readLock().acquire(WAIT_S, TimeUnit.SECONDS));
    out("read lock b alongside", rwB.readLock().acquire(WAIT_S, TimeUnit.SECONDS));
    out("write lock c refused", rwC.writeLock().acquire(200, TimeUnit.MILLISECONDS));
    rwA.readLock().release();
    rwB.readLock().release();
    out("write lock c after reads", rwC.writeLock().acquire(WAIT_S, TimeUnit.SECONDS));
    rwC.writeLock().release();
  }

  static void leadership(CuratorFramework a, CuratorFramework b) throws Exception {
    LeaderLatch latchA = new LeaderLatch(a, "/leader", "a");
    LeaderLatch latchB = new LeaderLatch(b, "/leader", "b");
    latchA.start();
    out("latch a leads", latchA.await(WAIT_S, TimeUnit.SECONDS));
    latchB.start();
    out("latch b waits", latchB.await(300, TimeUnit.MILLISECONDS));
    out("latch leader id", latchB.getLeader().getId());
    out("latch participants", latchB.getParticipants().size());
    latchA.close();
    out("latch b leads after a closes", latchB.await(WAIT_S, TimeUnit.SECONDS));
    out("latch leader id after", latchB.getLeader().getId());
    latchB.close();
  }

  static void caches(CuratorFramework a, CuratorFramework b) throws Exception {
    a.create().forPath("/cache");
    LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
    CuratorCache cache = CuratorCache.build(a, "/cache");
    CountDownLatch initialized = new CountDownLatch(1);
    cache.listenable().addListener((type, oldData, data) -> {
      String path = data != null ? data.getPath() : oldData.getPath();
      String value = data != null ? bytes(data.getData()) : "-";
      events.add(type + " " + path + " " + value);
    });
    cache.listenable().addListener(
        org.apache.curator.framework.recipes.cache.CuratorCacheListener.builder()
            .forInitialized(initialized::countDown).build());
    cache.start();
    out("cache initialized", initialized.await(WAIT_S, TimeUnit.SECONDS));
    out("cache first", events.poll(WAIT_S, TimeUnit.SECONDS));
    // One change at a time, each awaited, so the order is the server's, not a race.
    b.create().forPath("/cache/x", "1".getBytes(StandardCharsets.UTF_8));
    out("cache create", events.poll(WAIT_S, TimeUnit.SECONDS));
    b.create().forPath("/cache/x/deep", "2".getBytes(StandardCharsets.UTF_8));
    out("cache create deep", events.poll(WAIT_S, TimeUnit.SECONDS));
    b.setData().forPath("/cache/x/deep", "3".getBytes(StandardCharsets.UTF_8));
    out("cache change deep", events.poll(WAIT_S, TimeUnit.SECONDS));
    b.delete().forPath("/cache/x/deep");
    out("cache delete deep", events.poll(WAIT_S, TimeUnit.SECONDS));
    out("cache size", cache.size());
    cache.close();

    // A persistent (not recursive) watch fires on every change of its node, and is removed.
    LinkedBlockingQueue<String> watched = new LinkedBlockingQueue<>();
    Watcher watcher = (WatchedEvent event) -> {
      if (event.getType() != Watcher.Event.EventType.None) {
        watched.add(event.getType() + " " + event.getPath());
      }
    };
    a.watchers().add().withMode(AddWatchMode.PERSISTENT).usingWatcher(watcher).forPath("/cache/x");
    b.setData().forPath("/cache/x", "4".getBytes(StandardCharsets.UTF_8));
    out("persistent watch first", watched.poll(WAIT_S, TimeUnit.SECONDS));
    b.setData().forPath("/cache/x", "5".getBytes(StandardCharsets.UTF_8));
    out("persistent watch second", watched.poll(WAIT_S, TimeUnit.SECONDS));
    b.create().forPath("/cache/x/child");
    out("persistent watch child", watched.poll(WAIT_S, TimeUnit.SECONDS));
    a.watchers().remove(watcher).forPath("/cache/x");
    out("persistent watch removed", watched.poll(WAIT_S, TimeUnit.SECONDS));
    b.setData().forPath("/cache/x", "6".getBytes(StandardCharsets.UTF_8));
    out("after removal", watched.poll(300, TimeUnit.MILLISECONDS));
  }

  static void counters(CuratorFramework a, CuratorFramework b) throws Exception {
    DistributedAtomicLong longA = new DistributedAtomicLong(a, "/counters/long", new RetryOneTime(10));
    DistributedAtomicLong longB = new DistributedAtomicLong(b, "/counters/long", new RetryOneTime(10));
    for (int i = 0; i < 3; i++) longA.increment();
    AtomicValue<Long> added = longB.add(10L);
    out("atomic long add", added.succeeded() + " " + added.preValue() + " " + added.postValue());
    out("atomic long cas stale", longA.compareAndSet(0L, 99L).succeeded());
    out("atomic long cas", longA.compareAndSet(13L, 20L).succeeded());
    out("atomic long value", longB.get().postValue());

    SharedCount countA = new SharedCount(a, "/counters/shared", 0);
    SharedCount countB = new SharedCount(b, "/counters/shared", 0);
    countA.start();
    countB.start();
    VersionedValue<Integer> seen = countB.getVersionedValue();
    countA.setCount(7);
    // B's view may lag; a set against the version B saw must fail once A's write is applied.
    out("shared count stale set", countB.trySetCount(seen, 8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (countB.getCount() != 7 && System.nanoTime() < deadline) Thread.sleep(10);
    out("shared count seen by b", countB.getCount());
    out("shared count fresh set", countB.trySetCount(countB.getVersionedValue(), 8));
    countA.close();
    countB.close();
  }

  static void barriers(String connect, CuratorFramework a, CuratorFramework b) throws Exception {
    DistributedBarrier barrier = new DistributedBarrier(a, "/barrier");
    barrier.setBarrier();
    DistributedBarrier waiting = new DistributedBarrier(b, "/barrier");
    out("barrier holds", waiting.waitOnBarrier(200, TimeUnit.MILLISECONDS));
    barrier.removeBarrier();
    out("barrier released", waiting.waitOnBarrier(WAIT_S, TimeUnit.SECONDS));

    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<String>> members = new ArrayList<>();
      for (CuratorFramework member : List.of(a, b)) {
        members.add(pool.submit(() -> {
          DistributedDoubleBarrier both = new DistributedDoubleBarrier(member, "/double", 2);
          boolean entered = both.enter(WAIT_S, TimeUnit.SECONDS);
          boolean left = both.leave(WAIT_S, TimeUnit.SECONDS);
          return entered + " " + left;
        }));
      }
      for (Future<String> member : members) out("double barrier member", member.get(30, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  static void queues(CuratorFramework a, CuratorFramework b) throws Exception {
    LinkedBlockingQueue<String> consumed = new LinkedBlockingQueue<>();
    QueueSerializer<String> serializer = new QueueSerializer<>() {
      public byte[] serialize(String item) {
        return item.getBytes(StandardCharsets.UTF_8);
      }

      public String deserialize(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
      }
    };
    QueueConsumer<String> consumer = new QueueConsumer<>() {
      public void consumeMessage(String message) {
        consumed.add(message);
      }

      public void stateChanged(CuratorFramework client, ConnectionState state) {}
    };
    DistributedQueue<String> producer = QueueBuilder.builder(a, null, serializer, "/queue").buildQueue();
    producer.start();
    for (String item : List.of("one", "two", "three")) producer.put(item);
    DistributedQueue<String> reader = QueueBuilder.builder(b, consumer, serializer, "/queue").buildQueue();
    reader.start();
    List<String> items = new ArrayList<>();
    for (int i = 0; i < 3; i++) items.add(consumed.poll(WAIT_S, TimeUnit.SECONDS));
    out("queue consumed in order", items);
    reader.close();
    producer.close();
  }

  static void membership(CuratorFramework a, CuratorFramework b) throws Exception {
    GroupMember one = new GroupMember(a, "/group", "one", "1".getBytes(StandardCharsets.UTF_8));
    GroupMember two = new GroupMember(b, "/group", "two", "2".getBytes(StandardCharsets.UTF_8));
    one.start();
    two.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (one.getCurrentMembers().size() < 2 && System.nanoTime() < deadline) Thread.sleep(10);
    out("group members", new TreeSet<>(one.getCurrentMembers().keySet()));
    two.close();
    while (one.getCurrentMembers().size() > 1 && System.nanoTime() < deadline) Thread.sleep(10);
    out("group after leave", new TreeSet<>(one.getCurrentMembers().keySet()));
    one.close();

    PersistentNode node = new PersistentNode(a, CreateMode.EPHEMERAL, false, "/persistent/eph",
        "p".getBytes(StandardCharsets.UTF_8));
    node.start();
    out("persistent node created", node.waitForInitialCreate(WAIT_S, TimeUnit.SECONDS));
    b.delete().forPath("/persistent/eph");
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (b.checkExists().forPath("/persistent/eph") == null && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    out("persistent node recreated", b.checkExists().forPath("/persistent/eph") != null);
    node.close();
    out("persistent node gone on close", b.checkExists().forPath("/persistent/eph") == null);

    PersistentTtlNode ttl = new PersistentTtlNode(a, "/ttl/node", 60_000,
        "t".getBytes(StandardCharsets.UTF_8));
    ttl.start();
    out("ttl node created", ttl.waitForInitialCreate(WAIT_S, TimeUnit.SECONDS));
    out("ttl node data", bytes(b.getData().forPath("/ttl/node")));
    out("ttl node has no owner session",
        b.checkExists().forPath("/ttl/node").getEphemeralOwner() == 0);
    ttl.close();
  }

  static void framework(CuratorFramework a, CuratorFramework b) throws Exception {
    CuratorOp create = a.transactionOp().create().forPath("/tx", "a".getBytes(StandardCharsets.UTF_8));
    CuratorOp set = a.transactionOp().setData().forPath("/tx", "b".getBytes(StandardCharsets.UTF_8));
    CuratorOp check = a.transactionOp().check().withVersion(1).forPath("/tx");
    List<String> results = new ArrayList<>();
    for (CuratorTransactionResult result : a.transaction().forOperations(create, set, check)) {
      results.add(result.getType() + " " + result.getForPath() + " " + result.getError());
    }
    out("transaction", results);
    try {
      a.transaction().forOperations(
          a.transactionOp().check().withVersion(7).forPath("/tx"),
          a.transactionOp().delete().forPath("/tx"));
      out("transaction failed check", "no error");
    } catch (KeeperException error) {
      out("transaction failed check", error.code());
    }
    out("transaction rolled back", b.checkExists().forPath("/tx") != null);

    CuratorFramework namespaced = a.usingNamespace("ns");
    namespaced.create().creatingParentsIfNeeded().forPath("/inner/leaf", "n".getBytes(StandardCharsets.UTF_8));
    out("namespace real path", bytes(b.getData().forPath("/ns/inner/leaf")));

    String created = a.create().creatingParentContainersIfNeeded().withProtection()
        .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/protected/item-");
    String name = created.substring(created.lastIndexOf('/') + 1);
    out("protected create shape", name.matches("_c_[0-9a-f-]{36}-item-\\d{10}"));
    try {
      b.create().forPath("/protected/item-");
      b.create().forPath("/protected/item-");
      out("create exists", "no error");
    } catch (KeeperException error) {
      out("create exists", error.code());
    }
    try {
      b.setData().withVersion(42).forPath("/protected/item-", new byte[0]);
      out("set bad version", "no error");
    } catch (KeeperException error) {
      out("set bad version", error.code());
    }
    out("children of protected", b.getChildren().forPath("/protected").size());
  }

  public static void main(String[] args) throws Exception {
    String connect = args[0];
    try (CuratorFramework a = client(connect); CuratorFramework b = client(connect);
        CuratorFramework c = client(connect)) {
      locks(a, b, c);
      leadership(a, b);
      caches(a, b);
      counters(a, b);
      barriers(connect, a, b);
      queues(a, b);
      membership(a, b);
      framework(a, b);
    }
    out("done", true);
    System.exit(0);
  }
}
