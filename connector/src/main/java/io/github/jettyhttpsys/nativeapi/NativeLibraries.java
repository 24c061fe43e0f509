package io.github.jettyhttpsys.nativeapi;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The one place that chooses the native libraries: on Windows {@code httpapi.dll},
 * {@code kernel32.dll} and {@code ntdll.dll}; elsewhere the jetty-httpsys emulator's
 * {@code libhttpapi.so} from the classpath, which exports all three sets of functions.
 */
public final class NativeLibraries
{
    /** The Maven coordinates of the emulator, named in the error when nothing can be loaded. */
    public static final String EMULATOR_ARTIFACT = "io.github.jettyhttpsys:jetty-httpsys-emulator";

    private static final boolean WINDOWS = Platform.isWindows();

    private NativeLibraries()
    {
    }

    /**
     * @return whether the real HTTP.sys is used (Windows) rather than the emulator
     */
    public static boolean isWindows()
    {
        return WINDOWS;
    }

    /**
     * @return a one-line description of the implementation in use
     */
    public static String describe()
    {
        return WINDOWS ? "HTTP.sys (httpapi.dll)" : "jetty-httpsys emulator (libhttpapi.so)";
    }

    static NativeLibrary httpapi()
    {
        return load("httpapi");
    }

    static NativeLibrary kernel32()
    {
        return load(WINDOWS ? "kernel32" : "httpapi");
    }

    static NativeLibrary advapi32()
    {
        return load(WINDOWS ? "advapi32" : "httpapi");
    }

    static NativeLibrary ntdll()
    {
        return load(WINDOWS ? "ntdll" : "httpapi");
    }

    private static NativeLibrary load(String name)
    {
        try
        {
            return NativeLibrary.getInstance(name);
        }
        catch (UnsatisfiedLinkError x)
        {
            String message = WINDOWS
                ? "Cannot load " + name + ".dll, part of Windows (HTTP Server API)"
                : "HTTP.sys exists only on Windows. For development on " + System.getProperty("os.name") +
                  ", put the emulator " + EMULATOR_ARTIFACT + " on the classpath (it provides libhttpapi.so)";
            UnsatisfiedLinkError e = new UnsatisfiedLinkError(message);
            e.initCause(x);
            throw e;
        }
    }
}
