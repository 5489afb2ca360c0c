/* The signal thread. Signals are blocked everywhere and taken with sigwait
 * here, so nothing runs in an async signal context and the rest of the
 * program only ever sees a flag and canceled queries. */
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"

static sigset_t waited;
static atomic_int received;

static void *signal_main(void *arg)
{
    (void)arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&waited, &sig) != 0)
            continue;
        if (atomic_exchange(&received, sig) != 0) {
            /* A second signal: the user insists. */
            static const char msg[] = "terminating at once on a second signal\n";
            ssize_t unused = write(STDERR_FILENO, msg, sizeof msg - 1);
            (void)unused;
            _exit(2);
        }
        log_warning("received signal %d: canceling, cleaning up", sig);
        conn_request_stop();
        conn_cancel_all();
    }
    return NULL;
}

void signals_start(void)
{
    sigemptyset(&waited);
    sigaddset(&waited, SIGINT);
    sigaddset(&waited, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &waited, NULL);
    /* A broken pipe must surface as a write error, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    pthread_t t;
    if (pthread_create(&t, NULL, signal_main, NULL) == 0)
        pthread_detach(t);
}

int signals_received(void)
{
    return atomic_load(&received);
}
