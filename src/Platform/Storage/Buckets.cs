namespace LoraPipeline.Platform.Storage;

/// <summary>The two buckets of the spec (E01): datasets users upload, adapters we collect.</summary>
public static class Buckets
{
    public const string Datasets = "lora-datasets";
    public const string Models = "lora-models";

    public static bool IsKnown(string bucket) => bucket is Datasets or Models;
}
