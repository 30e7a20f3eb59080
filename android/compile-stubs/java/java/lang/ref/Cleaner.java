// COMPILE-ONLY STUB of java.lang.ref.Cleaner, in android.jar since API 33 (see ../../../README.md).
// The generated uniffi bindings reference it behind a run-time Class.forName check and fall back
// to JNA's cleaner below API 33; android.jar of API 23 (the one fetched here) lacks the class,
// so the compile check supplies its signature.
package java.lang.ref;

public final class Cleaner {
    private Cleaner() {}

    public static Cleaner create() {
        throw new UnsupportedOperationException("stub");
    }

    public Cleanable register(Object obj, Runnable action) {
        throw new UnsupportedOperationException("stub");
    }

    public interface Cleanable {
        void clean();
    }
}
