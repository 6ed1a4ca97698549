using System.Runtime.InteropServices;

namespace LoraPipeline.Platform.Storage;

/// <summary>
/// Makes a finished file survive a power cut: its data is flushed to the device, and after the rename that puts it
/// in place, so is the folder that now names it (a rename lives in the folder's entries, which the file's own
/// fsync does not cover). Only then may a record that points at the file commit.
/// </summary>
internal static class DurableFiles
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux x86-64 and arm64

    /// <summary>fsync(2) of a folder; a no-op where folders cannot be opened for it (Windows).</summary>
    public static void SyncFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(folder, ReadOnly | (OperatingSystem.IsLinux() ? Directory : 0));
        if (fd < 0)
        {
            throw new IOException($"Could not open the folder {folder} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"Could not flush the folder {folder} to disk (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code enabled for three calls
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
