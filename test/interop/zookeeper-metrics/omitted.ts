// ZooKeeper 3.8's metrics corral does not export, and why: the allow-list the live scrape
// (metrics-zookeeper-scrape.test.ts) and mntr's key comparison (metrics-mntr.test.ts) hold
// ZooKeeper's names against. A name ZooKeeper exports that is neither here nor exported by
// corral fails both.
export const omittedMetrics: Readonly<Record<string, readonly string[]>> = {
  // ZooKeeper's processors are threads joined by queues; corral's request chain runs on one
  // event loop, so these queues, their sizes and the time spent in them do not exist.
  'request-processor threads and queues': [
    'prep_processor_request_queued', 'outstanding_changes_queued', 'outstanding_changes_removed',
    'request_commit_queued', 'sync_processor_request_queued', 'prep_processor_queue_time_ms',
    'prep_processor_queue_size', 'prep_process_time', 'proposal_process_time',
    'close_session_prep_time', 'requests_in_session_queue', 'pending_session_queue_size',
    'reads_after_write_in_session_queue', 'reads_issued_from_session_queue',
    'session_queues_drained', 'time_waiting_empty_pool_in_commit_processor_read_ms',
    'write_batch_time_in_commit_processor', 'concurrent_request_processing_in_commit_processor',
    'read_commit_proc_req_queued', 'write_commit_proc_req_queued', 'commit_commit_proc_req_queued',
    'read_commit_proc_issued', 'write_commit_proc_issued', 'read_commitproc_time_ms',
    'write_commitproc_time_ms', 'local_write_committed_time_ms', 'server_write_committed_time_ms',
    'commit_process_time', 'om_proposal_process_time_ms', 'om_commit_process_time_ms',
    'read_final_proc_time_ms', 'write_final_proc_time_ms', 'sync_processor_queue_and_flush_time_ms',
    'sync_processor_queue_size', 'sync_processor_queue_time_ms',
    'sync_processor_queue_flush_time_ms',
    'sync_process_time', 'skip_learner_request_to_next_processor_count',
    'requests_not_forwarded_to_commit_processor', 'learner_request_processor_queue_size',
    'learner_handler_qp_size', 'learner_handler_qp_time_ms',
  ],
  // The JVM, Netty and ZooKeeper's getData response cache have no counterpart in Node (corral
  // keeps only wide nodes' encoded child lists, counted as its getChildren cache).
  'JVM, Netty and response-cache internals': [
    'jvm_pause_time_ms', 'netty_queued_buffer_capacity', 'response_packet_cache_hits',
    'response_packet_cache_misses', 'socket_closing_time',
    'cnxn_closed_without_zk_server_running',
  ],
  // Features corral does not have: the request throttler, the connection token bucket
  // (connectionMaxTokens is refused unless off), the dead-watcher cleaner, ensemble-name auth.
  'features corral does not have': [
    'throttled_ops', 'request_throttle_wait_count', 'request_throttle_queue_time_ms',
    'large_requests_rejected', 'stale_requests', 'stale_requests_dropped', 'stale_replies',
    'connection_token_deficit', 'add_dead_watcher_stall_time',
    'dead_watchers_queued', 'dead_watchers_cleared', 'dead_watchers_cleaner_latency',
    'ensemble_auth_success', 'ensemble_auth_fail', 'ensemble_auth_skip', 'insecure_admin_count',
    // The TLS handshake throttle (outstandingHandshake.limit): corral bounds each handshake's
    // time instead, and a throttled handshake is what this counts.
    'tls_handshake_exceeded',
    // A leader quitting when a voter changes its mind while it waits for the new epoch
    // (maxTimeToWaitForEpoch, off by default in ZooKeeper): corral's discovery is bounded by
    // initLimit alone.
    'quit_leading_due_to_disloyal_voter',
  ],
  // ZooKeeper counts a processor thread's unexpected exception, puts that server in its ERROR
  // state and, in an ensemble, elects anew within the same process; corral's process exits on
  // an uncaught exception (its supervisor restarts it), so no running server could show a count.
  'corral stops instead': ['unrecoverable_error_count'],
};

/** Every omitted name. */
export const omittedNames: ReadonlySet<string> = new Set(Object.values(omittedMetrics).flat());
