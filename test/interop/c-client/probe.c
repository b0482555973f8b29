/*
 * The C client's interop probe: drives Apache ZooKeeper's own C library (libzookeeper_mt, the
 * multi-threaded API that zkfuse, the Perl and Python C bindings and many services link) against
 * one server, and prints one JSON object per step on stdout. Only what is deterministic across
 * servers is printed (return codes, data, versions, counts, names, event types), so the same
 * program's output against Apache ZooKeeper and against corral can be compared line for line.
 *
 * Usage: probe HOST:PORT             the scenario of nodes, watches, multi, ACLs and sessions
 *        probe --failover HOSTS      sets an ephemeral and a watch, prints the server it is on,
 *                                    waits for a line on stdin (its server has been killed
 *                                    meanwhile), then checks that the session, the ephemeral and
 *                                    the watch survived on another server
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#define MAX_EVENTS 64
#define WAIT_STEP_US 10000
#define WAIT_STEPS 500 /* 5 s at most for any one event */

struct events {
  pthread_mutex_t lock;
  int count;
  int type[MAX_EVENTS];
  int state[MAX_EVENTS];
  char path[MAX_EVENTS][128];
};

/* Node events of every handle; each handle's session events go to its own list (its context). */
static struct events node_events = { PTHREAD_MUTEX_INITIALIZER, 0, {0}, {0}, {{0}} };

static void record(struct events *into, int type, int state, const char *path) {
  pthread_mutex_lock(&into->lock);
  if (into->count < MAX_EVENTS) {
    into->type[into->count] = type;
    into->state[into->count] = state;
    snprintf(into->path[into->count], sizeof into->path[0], "%s", path ? path : "");
    into->count++;
  }
  pthread_mutex_unlock(&into->lock);
}

static int count_of(struct events *of) {
  pthread_mutex_lock(&of->lock);
  int count = of->count;
  pthread_mutex_unlock(&of->lock);
  return count;
}

/* Waits (bounded) until `of` holds more than `seen` events; returns whether it does. */
static int wait_beyond(struct events *of, int seen) {
  for (int step = 0; step < WAIT_STEPS; step++) {
    if (count_of(of) > seen) return 1;
    usleep(WAIT_STEP_US);
  }
  return 0;
}

static const char *type_name(int type) {
  if (type == ZOO_CREATED_EVENT) return "created";
  if (type == ZOO_DELETED_EVENT) return "deleted";
  if (type == ZOO_CHANGED_EVENT) return "changed";
  if (type == ZOO_CHILD_EVENT) return "child";
  if (type == ZOO_SESSION_EVENT) return "session";
  if (type == ZOO_NOTWATCHING_EVENT) return "notwatching";
  return "other";
}

static const char *state_name(int state) {
  if (state == ZOO_CONNECTED_STATE) return "connected";
  if (state == ZOO_EXPIRED_SESSION_STATE) return "expired";
  if (state == ZOO_AUTH_FAILED_STATE) return "auth_failed";
  if (state == ZOO_CONNECTING_STATE) return "connecting";
  if (state == ZOO_ASSOCIATING_STATE) return "associating";
  if (state == 0) return "closed";
  return "other";
}

/* A handle's session events go to the list it was opened with; other events to node_events. */
static void session_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
  (void)zh;
  if (type == ZOO_SESSION_EVENT) record((struct events *)ctx, type, state, path);
  else record(&node_events, type, state, path);
}

/* The library also calls a node's watcher with session events; those are the connection's. */
static void node_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
  (void)zh;
  (void)ctx;
  if (type != ZOO_SESSION_EVENT) record(&node_events, type, state, path);
}

/* The newest node event as "type path", or "none" when no event arrived within the bound. */
static void print_event(const char *step, int seen) {
  if (!wait_beyond(&node_events, seen)) {
    printf("{\"step\":\"%s\",\"event\":\"none\"}\n", step);
    return;
  }
  pthread_mutex_lock(&node_events.lock);
  printf("{\"step\":\"%s\",\"event\":\"%s\",\"path\":\"%s\"}\n", step,
         type_name(node_events.type[seen]), node_events.path[seen]);
  pthread_mutex_unlock(&node_events.lock);
}

static void print_stat(const char *step, int rc, const struct Stat *stat) {
  if (rc != ZOK) {
    printf("{\"step\":\"%s\",\"rc\":%d}\n", step, rc);
    return;
  }
  printf("{\"step\":\"%s\",\"rc\":0,\"version\":%d,\"cversion\":%d,\"aversion\":%d,"
         "\"dataLength\":%d,\"numChildren\":%d,\"ephemeral\":%s,\"mzxidAtLeastCzxid\":%s,"
         "\"pzxidAtLeastCzxid\":%s}\n",
         step, stat->version, stat->cversion, stat->aversion, stat->dataLength,
         stat->numChildren, stat->ephemeralOwner != 0 ? "true" : "false",
         stat->mzxid >= stat->czxid ? "true" : "false",
         stat->pzxid >= stat->czxid ? "true" : "false");
}

static void print_rc(const char *step, int rc) { printf("{\"step\":\"%s\",\"rc\":%d}\n", step, rc); }

static int settled_state(int state) {
  return state == ZOO_CONNECTED_STATE || state == ZOO_EXPIRED_SESSION_STATE ||
         state == ZOO_AUTH_FAILED_STATE;
}

/*
 * Opens a handle and waits (bounded) for a session event that settles it: connected, expired or
 * auth failed. Events on the way (a connection closed before its answer was read, so the client
 * tries again) are passed over: when a server answers and closes at once is a race.
 */
static zhandle_t *open_handle(const char *hosts, const clientid_t *id, int *state) {
  /* Never freed: a handle's threads may call its watcher until the process ends. */
  struct events *own = calloc(1, sizeof *own);
  pthread_mutex_init(&own->lock, NULL);
  zhandle_t *zh = zookeeper_init(hosts, session_watcher, 10000, id, own, 0);
  *state = -1;
  if (zh == NULL) return NULL;
  for (int seen = 0; wait_beyond(own, seen); seen++) {
    pthread_mutex_lock(&own->lock);
    *state = own->state[seen];
    pthread_mutex_unlock(&own->lock);
    if (settled_state(*state)) break;
  }
  return zh;
}

static void children_step(zhandle_t *zh, const char *step, const char *path, int watch) {
  struct String_vector names = { 0, NULL };
  struct Stat stat;
  int rc = watch ? zoo_wget_children2(zh, path, node_watcher, NULL, &names, &stat)
                 : zoo_get_children2(zh, path, 0, &names, &stat);
  if (rc != ZOK) {
    print_rc(step, rc);
    return;
  }
  /* Children come in no promised order; sort them so the lines compare. */
  for (int i = 0; i < names.count; i++) {
    for (int j = i + 1; j < names.count; j++) {
      if (strcmp(names.data[j], names.data[i]) < 0) {
        char *swap = names.data[i];
        names.data[i] = names.data[j];
        names.data[j] = swap;
      }
    }
  }
  printf("{\"step\":\"%s\",\"rc\":0,\"numChildren\":%d,\"cversion\":%d,\"children\":[", step,
         stat.numChildren, stat.cversion);
  for (int i = 0; i < names.count; i++) printf("%s\"%s\"", i ? "," : "", names.data[i]);
  printf("]}\n");
  deallocate_String_vector(&names);
}

static void get_step(zhandle_t *zh, const char *step, const char *path, int watch) {
  static char buffer[1024 * 1024];
  int length = sizeof buffer;
  struct Stat stat;
  int rc = watch ? zoo_wget(zh, path, node_watcher, NULL, buffer, &length, &stat)
                 : zoo_get(zh, path, 0, buffer, &length, &stat);
  if (rc != ZOK) {
    print_rc(step, rc);
    return;
  }
  /* Short values are printed; long ones by length and a byte sum. */
  if (length >= 0 && length <= 64) {
    printf("{\"step\":\"%s\",\"rc\":0,\"data\":\"%.*s\",\"version\":%d}\n", step, length, buffer,
           stat.version);
  } else {
    unsigned long sum = 0;
    for (int i = 0; i < length; i++) sum += (unsigned char)buffer[i];
    printf("{\"step\":\"%s\",\"rc\":0,\"length\":%d,\"sum\":%lu,\"version\":%d}\n", step, length,
           sum, stat.version);
  }
}

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static int done_rc = 1;
static char done_value[128];

static void string_done(int rc, const char *value, const void *data) {
  (void)data;
  pthread_mutex_lock(&done_lock);
  snprintf(done_value, sizeof done_value, "%s", value ? value : "");
  done_rc = rc;
  pthread_mutex_unlock(&done_lock);
}

static void void_done(int rc, const void *data) { string_done(rc, NULL, data); }

/* Waits (bounded) for an async completion armed by setting done_rc to 1 (no such rc exists). */
static int await_done(void) {
  for (int step = 0; step < WAIT_STEPS; step++) {
    pthread_mutex_lock(&done_lock);
    int rc = done_rc;
    pthread_mutex_unlock(&done_lock);
    if (rc != 1) return rc;
    usleep(WAIT_STEP_US);
  }
  return 1;
}

static void arm_done(void) {
  pthread_mutex_lock(&done_lock);
  done_rc = 1;
  done_value[0] = '\0';
  pthread_mutex_unlock(&done_lock);
}

/* The session of one handle outlives the server it was on (see the usage above). */
static int failover(const char *hosts) {
  int state;
  zhandle_t *zh = open_handle(hosts, NULL, &state);
  printf("{\"step\":\"connect\",\"state\":\"%s\"}\n", state_name(state));
  if (zh == NULL || state != ZOO_CONNECTED_STATE) return 1;
  char path[128];
  struct Stat stat;
  print_rc("create", zoo_create(zh, "/fo", "0", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, path,
                                sizeof path));
  print_rc("create ephemeral", zoo_create(zh, "/fo-eph", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                          ZOO_EPHEMERAL, path, sizeof path));
  int seen = count_of(&node_events);
  get_step(zh, "wget", "/fo", 1);
  const int64_t session = zoo_client_id(zh)->client_id;
  char before[64];
  const char *server = zoo_get_current_server(zh);
  snprintf(before, sizeof before, "%s", server ? server : "");
  printf("{\"step\":\"ready\",\"server\":\"%s\"}\n", before);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) return 1;
  /* The server is gone: wait (bounded, within the session timeout) to be connected again. */
  int connected = 0;
  for (int step = 0; step < 2 * WAIT_STEPS && !connected; step++) {
    connected = zoo_state(zh) == ZOO_CONNECTED_STATE && zoo_get_current_server(zh) != NULL &&
                strcmp(zoo_get_current_server(zh), before) != 0 && zoo_exists(zh, "/fo", 0, &stat) == ZOK;
    if (!connected) usleep(WAIT_STEP_US);
  }
  printf("{\"step\":\"reconnected\",\"connected\":%s,\"sameSession\":%s}\n",
         connected ? "true" : "false", zoo_client_id(zh)->client_id == session ? "true" : "false");
  print_stat("ephemeral survived", zoo_exists(zh, "/fo-eph", 0, &stat), &stat);
  print_rc("set watched", zoo_set(zh, "/fo", "1", 1, -1));
  print_event("watch survived", seen);
  print_rc("close", zookeeper_close(zh));
  return 0;
}

int main(int argc, char **argv) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "--failover") == 0) return failover(argv[2]);
  if (argc != 2) {
    fprintf(stderr, "usage: %s host:port | --failover hosts\n", argv[0]);
    return 2;
  }
  const char *hosts = argv[1];

  int state;
  zhandle_t *zh = open_handle(hosts, NULL, &state);
  printf("{\"step\":\"connect\",\"state\":\"%s\",\"timeout\":%d}\n", state_name(state),
         zh ? zoo_recv_timeout(zh) : -1);
  if (zh == NULL || state != ZOO_CONNECTED_STATE) return 1;

  char path[128];
  struct Stat stat;
  print_rc("create", zoo_create(zh, "/cc", "v0", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, path,
                                sizeof path));
  print_rc("create exists", zoo_create(zh, "/cc", "v0", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                                       path, sizeof path));
  print_rc("create no parent", zoo_create(zh, "/none/child", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                          ZOO_PERSISTENT, path, sizeof path));
  for (int i = 0; i < 2; i++) {
    int rc = zoo_create2(zh, "/cc/seq-", "s", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL,
                         path, sizeof path, &stat);
    printf("{\"step\":\"create2 sequential\",\"rc\":%d,\"path\":\"%s\",\"version\":%d,"
           "\"dataLength\":%d}\n", rc, rc == ZOK ? path : "", stat.version, stat.dataLength);
  }
  int rc = zoo_create(zh, "/cc/eph-", NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL,
                      path, sizeof path);
  printf("{\"step\":\"create ephemeral sequential\",\"rc\":%d,\"path\":\"%s\"}\n", rc,
         rc == ZOK ? path : "");
  rc = zoo_exists(zh, path, 0, &stat);
  print_stat("exists ephemeral", rc, &stat);
  get_step(zh, "get", "/cc", 0);
  print_stat("exists", zoo_exists(zh, "/cc", 0, &stat), &stat);
  print_rc("set", zoo_set(zh, "/cc", "v1", 2, 0));
  print_rc("set bad version", zoo_set(zh, "/cc", "v2", 2, 0));
  print_stat("set2 any version", zoo_set2(zh, "/cc", "v2", 2, -1, &stat), &stat);
  print_rc("set no node", zoo_set(zh, "/cc/none", "x", 1, -1));
  print_stat("exists no node", zoo_exists(zh, "/cc/none", 0, &stat), &stat);

  /* One-shot watches: exists on an absent node, data, children. */
  int seen = count_of(&node_events);
  print_stat("wexists absent", zoo_wexists(zh, "/cc/w", node_watcher, NULL, &stat), &stat);
  print_rc("create watched", zoo_create(zh, "/cc/w", "w0", 2, &ZOO_OPEN_ACL_UNSAFE,
                                        ZOO_PERSISTENT, path, sizeof path));
  print_event("created event", seen);
  seen = count_of(&node_events);
  get_step(zh, "wget", "/cc/w", 1);
  print_rc("set watched", zoo_set(zh, "/cc/w", "w1", 2, -1));
  print_event("changed event", seen);
  seen = count_of(&node_events);
  children_step(zh, "wget_children2", "/cc", 1);
  print_rc("create child", zoo_create(zh, "/cc/x", "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                                      path, sizeof path));
  print_event("child event", seen);
  seen = count_of(&node_events);
  print_stat("wexists present", zoo_wexists(zh, "/cc/w", node_watcher, NULL, &stat), &stat);
  print_rc("delete bad version", zoo_delete(zh, "/cc/w", 5));
  print_rc("delete", zoo_delete(zh, "/cc/w", -1));
  print_event("deleted event", seen);
  print_rc("delete not empty", zoo_delete(zh, "/cc", -1));
  print_rc("delete no node", zoo_delete(zh, "/cc/w", -1));
  children_step(zh, "get_children2", "/cc", 0);

  /* Watches removed by the client: the server must know the watch to remove it. */
  print_stat("wexists to remove", zoo_wexists(zh, "/cc/x", node_watcher, NULL, &stat), &stat);
  print_rc("remove watches", zoo_remove_watches(zh, "/cc/x", ZWATCHTYPE_DATA, node_watcher, NULL,
                                                0));
  print_rc("remove watches again", zoo_remove_watches(zh, "/cc/x", ZWATCHTYPE_DATA, node_watcher,
                                                      NULL, 0));

  /* Multi: all applied, then one failing check that rolls the others back. */
  {
    zoo_op_t ops[2];
    zoo_op_result_t results[2];
    char created[128];
    zoo_create_op_init(&ops[0], "/cc/m1", "a", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, created,
                       sizeof created);
    zoo_set_op_init(&ops[1], "/cc/m1", "b", 1, 0, &stat);
    rc = zoo_multi(zh, 2, ops, results);
    printf("{\"step\":\"multi\",\"rc\":%d,\"results\":[%d,%d],\"created\":\"%s\"}\n", rc,
           results[0].err, results[1].err, rc == ZOK ? created : "");
    zoo_check_op_init(&ops[0], "/cc/m1", 9);
    zoo_create_op_init(&ops[1], "/cc/m2", "c", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, created,
                       sizeof created);
    rc = zoo_multi(zh, 2, ops, results);
    printf("{\"step\":\"multi failed check\",\"rc\":%d,\"results\":[%d,%d]}\n", rc,
           results[0].err, results[1].err);
    print_stat("multi rolled back", zoo_exists(zh, "/cc/m2", 0, &stat), &stat);
    get_step(zh, "multi applied", "/cc/m1", 0);
  }

  /* ACLs and digest authentication, seen from a second, unauthenticated session. */
  arm_done();
  rc = zoo_add_auth(zh, "digest", "alice:secret", 12, void_done, NULL);
  printf("{\"step\":\"add_auth\",\"rc\":%d,\"completion\":%d}\n", rc, await_done());
  print_rc("create creator acl", zoo_create(zh, "/cc/secret", "s", 1, &ZOO_CREATOR_ALL_ACL,
                                            ZOO_PERSISTENT, path, sizeof path));
  {
    struct ACL_vector acl;
    rc = zoo_get_acl(zh, "/cc/secret", &acl, &stat);
    if (rc == ZOK && acl.count == 1) {
      printf("{\"step\":\"get_acl\",\"rc\":0,\"count\":1,\"scheme\":\"%s\",\"id\":\"%s\","
             "\"perms\":%d,\"aversion\":%d}\n", acl.data[0].id.scheme, acl.data[0].id.id,
             acl.data[0].perms, stat.aversion);
    } else {
      printf("{\"step\":\"get_acl\",\"rc\":%d,\"count\":%d}\n", rc, rc == ZOK ? acl.count : -1);
    }
    if (rc == ZOK) deallocate_ACL_vector(&acl);
  }
  print_rc("set_acl", zoo_set_acl(zh, "/cc/x", 0, &ZOO_READ_ACL_UNSAFE));
  print_rc("set_acl bad version", zoo_set_acl(zh, "/cc/x", 0, &ZOO_READ_ACL_UNSAFE));
  print_rc("set read-only", zoo_set(zh, "/cc/x", "x", 1, -1));
  int other_state;
  zhandle_t *other = open_handle(hosts, NULL, &other_state);
  printf("{\"step\":\"connect second\",\"state\":\"%s\"}\n", state_name(other_state));
  if (other != NULL) {
    get_step(other, "get without auth", "/cc/secret", 0);
    print_rc("delete without auth", zoo_delete(other, "/cc/secret", -1));
    /* Its ephemerals go with its session. */
    print_rc("create ephemeral second", zoo_create(other, "/cc/gone", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                                   ZOO_EPHEMERAL, path, sizeof path));
    print_rc("ephemeral child", zoo_create(other, "/cc/gone/child", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                           ZOO_PERSISTENT, path, sizeof path));
    const clientid_t kept = *zoo_client_id(other);
    print_rc("close second", zookeeper_close(other));
    print_stat("ephemeral after close", zoo_exists(zh, "/cc/gone", 0, &stat), &stat);
    /* A closed session cannot be resumed. */
    zhandle_t *resumed = open_handle(hosts, &kept, &other_state);
    printf("{\"step\":\"resume closed session\",\"state\":\"%s\"}\n", state_name(other_state));
    if (resumed != NULL) zookeeper_close(resumed);
  }
  {
    /* A live session with the wrong password is refused as expired. */
    clientid_t forged = *zoo_client_id(zh);
    forged.passwd[0] ^= 0x5a;
    zhandle_t *impostor = open_handle(hosts, &forged, &other_state);
    printf("{\"step\":\"wrong password\",\"state\":\"%s\"}\n", state_name(other_state));
    if (impostor != NULL) zookeeper_close(impostor);
    /* ZooKeeper 3.8 may drop the true owner's connection too (its client then reconnects and
       a call in flight sees connection loss); corral leaves it alone. Either way the session
       lives on. */
    rc = zoo_exists(zh, "/cc", 0, &stat);
    for (int attempt = 0; attempt < 50 && rc == ZCONNECTIONLOSS; attempt++) {
      usleep(WAIT_STEP_US);
      rc = zoo_exists(zh, "/cc", 0, &stat);
    }
    print_stat("first session still works", rc, &stat);
  }
  {
    /* An unknown scheme fails authentication, which ends that session's handle. */
    zhandle_t *stranger = open_handle(hosts, NULL, &other_state);
    if (stranger != NULL) {
      arm_done();
      rc = zoo_add_auth(stranger, "nosuchscheme", "x", 1, void_done, NULL);
      int completion = await_done();
      for (int step = 0; step < WAIT_STEPS && zoo_state(stranger) != ZOO_AUTH_FAILED_STATE; step++) {
        usleep(WAIT_STEP_US);
      }
      printf("{\"step\":\"add_auth unknown scheme\",\"rc\":%d,\"completion\":%d,"
             "\"state\":\"%s\"}\n", rc, completion, state_name(zoo_state(stranger)));
      zookeeper_close(stranger);
    }
  }

  /* sync, extended node types, config, large values. */
  arm_done();
  rc = zoo_async(zh, "/cc", string_done, NULL);
  rc = rc == ZOK ? await_done() : rc;
  printf("{\"step\":\"sync\",\"rc\":%d,\"path\":\"%s\"}\n", rc, done_value);
  print_rc("create container", zoo_create(zh, "/cont", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                          ZOO_CONTAINER, path, sizeof path));
  print_stat("exists container", zoo_exists(zh, "/cont", 0, &stat), &stat);
  print_rc("create ttl", zoo_create_ttl(zh, "/ttl", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                        ZOO_PERSISTENT_WITH_TTL, 60000, path, sizeof path));
  print_rc("create ttl zero", zoo_create_ttl(zh, "/ttl0", "", 0, &ZOO_OPEN_ACL_UNSAFE,
                                             ZOO_PERSISTENT_WITH_TTL, 0, path, sizeof path));
  {
    int size = 1000 * 1000;
    char *big = malloc(size);
    for (int i = 0; i < size; i++) big[i] = (char)('a' + i % 26);
    print_rc("set 1 MB", zoo_set(zh, "/cc/m1", big, size, -1));
    get_step(zh, "get 1 MB", "/cc/m1", 0);
    free(big);
  }
  print_rc("close", zookeeper_close(zh));
  return 0;
}
