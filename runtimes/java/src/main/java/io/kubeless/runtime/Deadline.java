package io.kubeless.runtime;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops a function invocation that outlived its timeout, from inside the function's own code.
 *
 * <p>Java has no way left to stop a thread from outside ({@code Thread.stop} is gone), so the
 * runtime rewrites every class of the function as it loads it ({@link DeadlineInstrumenter}): each
 * method entry and each backward jump (every loop iteration) calls {@link #check()}. Once an
 * invocation's deadline has passed, {@code check()} throws an {@link Error} on that invocation's
 * thread, again at every check, so even {@code catch (Throwable t)} inside a loop cannot keep it
 * running. Blocking calls (sleep, wait, I/O) are woken by an interrupt.
 *
 * <p>The fast path is one volatile read of a counter that is zero whenever no invocation is past
 * its deadline, so a function pays almost nothing for the check while nothing times out.
 */
public final class Deadline {

  /** Invocations past their deadline whose thread still runs. */
  private static final AtomicInteger EXPIRED = new AtomicInteger();

  private static final ThreadLocal<Invocation> CURRENT = new ThreadLocal<>();

  private Deadline() {}

  /** Called by the instrumented function code; throws once the current invocation timed out. */
  public static void check() {
    if (EXPIRED.get() != 0) {
      checkCurrentThread();
    }
  }

  private static void checkCurrentThread() {
    Invocation invocation = CURRENT.get();
    if (invocation != null && invocation.timedOut) {
      throw new FunctionTimeoutError();
    }
  }

  /** Marks the calling thread as running {@code invocation}. */
  static void enter(Invocation invocation) {
    CURRENT.set(invocation);
  }

  /** Ends the calling thread's invocation; clears an interrupt a late timeout may have left. */
  static void exit(Invocation invocation) {
    if (invocation.finish()) {
      EXPIRED.decrementAndGet();
    }
    CURRENT.remove();
    Thread.interrupted();
  }

  static void expired() {
    EXPIRED.incrementAndGet();
  }

  /**
   * Thrown into a function that ran past its timeout. An {@link Error}, so that the usual {@code
   * catch (Exception e)} in a function does not swallow it.
   */
  static final class FunctionTimeoutError extends Error {
    FunctionTimeoutError() {
      super("function timed out", null, false, false);
    }
  }

  /** One call of the function on one thread, with its timeout state. */
  static final class Invocation {
    private final Thread thread;
    private volatile boolean timedOut;
    private boolean finished;

    Invocation(Thread thread) {
      this.thread = thread;
    }

    /** Called by the watchdog at the deadline; returns whether the invocation was still running. */
    synchronized boolean expire() {
      if (finished) {
        return false;
      }
      timedOut = true;
      expired();
      thread.interrupt();
      return true;
    }

    boolean timedOut() {
      return timedOut;
    }

    /** Returns whether the invocation had timed out. */
    private synchronized boolean finish() {
      finished = true;
      return timedOut;
    }
  }
}
