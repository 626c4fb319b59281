/* A thread cancelled while it waits: glibc unwinds it with libgcc_s.so.1, which it loads only
 * then (runtime = ["thread-cancel"]); without it the process aborts. Linked dynamically. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *wait_forever(void *unused)
{
    (void)unused;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t thread;
    void *result = NULL;
    if (pthread_create(&thread, NULL, wait_forever, NULL) != 0 || pthread_cancel(thread) != 0 || pthread_join(thread, &result) != 0)
        return 2;
    puts(result == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
    return result == PTHREAD_CANCELED ? 0 : 1;
}
