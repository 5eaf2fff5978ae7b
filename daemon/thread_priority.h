// Thread priorities for the daemon's indexing (daemon.index_nice).
//
// On Linux a niceness belongs to one thread, not to the process: setpriority(PRIO_PROCESS,
// tid) changes that thread only, and a new thread starts with the niceness of the thread that
// creates it. So the indexing thread lowers its own priority before it starts anything, and
// what it creates runs niced too: the decode workers, and LibTorch's OpenMP team (libgomp gives
// every thread that enters a parallel region its own team, created at its first one).
//
// What this cannot reach: threads the process made before, shared by everyone. OpenBLAS's
// workers are started when the library loads, so the half of an indexing matrix product they
// compute runs at the daemon's priority, and OpenBLAS runs one such product at a time, so a
// search's product waits for an indexing one whatever the priorities. The inference gate
// (indexer/pipeline/inference_gate.h) is what keeps searches from waiting behind indexing.
//
// Thread-safety: both functions may be called from any thread.
#ifndef VIDX_DAEMON_THREAD_PRIORITY_H_
#define VIDX_DAEMON_THREAD_PRIORITY_H_

#include <sys/types.h>

#include "common/status.h"

namespace vidx {

// Sets the calling thread's niceness to `nice` (0..19; a thread may always lower its own
// priority). kInvalidArgument outside 0..19; kPermissionDenied or kIoError, with the system's
// reason, when the kernel refuses.
Status LowerThisThreadPriority(int nice);

// The niceness of thread `tid` of this process. kNotFound when there is no such thread.
StatusOr<int> ThreadNiceness(pid_t tid);

// The calling thread's id (gettid).
pid_t ThisThreadId();

}  // namespace vidx

#endif  // VIDX_DAEMON_THREAD_PRIORITY_H_
