namespace LoraPipeline.Platform.Storage;

/// <summary>
/// A bucket and a relative path made of safe segments (letters, digits, '.', '-', '_'), so that
/// no path built from user input can leave its bucket.
/// </summary>
public sealed record BlobLocation
{
    public string Bucket { get; }
    public string Path { get; }

    public BlobLocation(string bucket, string path)
    {
        if (!Buckets.IsKnown(bucket))
        {
            throw new ArgumentException($"Unknown bucket '{bucket}'.", nameof(bucket));
        }

        if (!IsSafePath(path))
        {
            throw new ArgumentException($"Unsafe blob path '{path}'.", nameof(path));
        }

        Bucket = bucket;
        Path = path;
    }

    public static bool TryCreate(string bucket, string path, out BlobLocation? location)
    {
        location = Buckets.IsKnown(bucket) && IsSafePath(path) ? new BlobLocation(bucket, path) : null;
        return location is not null;
    }

    public static bool IsSafePath(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 512)
        {
            return false;
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment.Length > 200 || segment is "." or ".." || !segment.All(IsSafeChar))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSafeChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_';

    public string FileName => Path[(Path.LastIndexOf('/') + 1)..];

    public override string ToString() => $"{Bucket}/{Path}";
}
