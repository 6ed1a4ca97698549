using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Reliability.Tests;

/// <summary>
/// A power cut between a blob's write and the commit of the record that points at it: the Host dies the moment the
/// upload's file is durable (Storage:CrashAfterWriteTo), the client gets no answer, and after a restart nothing
/// half-made is left: no dataset points at a missing file, and the file no record points at is swept.
/// </summary>
[Collection(HostProcesses.Name)]
public sealed class when_the_power_fails_mid_upload
{
    [Fact]
    public async Task nothing_unacknowledged_is_half_kept_and_the_orphaned_file_is_swept_after_the_restart()
    {
        await using var host = await HostProcess.StartAsync(await TestDatabase.ConnectionStringAsync(), new Dictionary<string, string>
        {
            ["Storage:CrashAfterWriteTo"] = "lora-datasets",
        });
        using var client = host.ClientFor(await host.CreateUserAsync("power-" + Guid.NewGuid().ToString("N")[..6]));

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(10))) { Headers = { ContentType = new MediaTypeHeaderValue("application/jsonl") } }, "file", "chats.jsonl" },
            { new StringContent("cut off"), "name" },
        };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("/api/datasets", form)); // no answer: nothing acknowledged
        Assert.True(await host.ExitedWithinAsync(TimeSpan.FromSeconds(30)), "the Host died after the write");
        var bucket = Path.Combine(host.BlobRoot, "lora-datasets");
        var written = Directory.GetFiles(bucket, "dataset.jsonl", SearchOption.AllDirectories);
        Assert.Single(written); // the file made it to disk; its record did not
        File.SetLastWriteTimeUtc(written[0], DateTime.UtcNow.AddHours(-1)); // the cut was a while ago

        await host.RestartAsync(new Dictionary<string, string?>
        {
            ["Storage:CrashAfterWriteTo"] = null,
            ["Storage:SweepInterval"] = "00:00:01",
            ["Storage:SweepAfter"] = "00:10:00", // older files only: never a write in progress
        });
        var list = JsonNode.Parse(await client.GetStringAsync("/api/datasets"))!["data"]!;
        Assert.Equal(0, list["pagination"]!["total"]!.GetValue<long>());
        await HostProcess.UntilAsync(() => Task.FromResult(!File.Exists(written[0])), TimeSpan.FromSeconds(60), "the sweeper removed the orphaned file");

        // and the platform takes uploads again, whose files the sweeper leaves alone
        var dataset = await HostProcess.ReadyDatasetAsync(client, 10);
        var kept = Directory.GetFiles(bucket, "dataset.jsonl", SearchOption.AllDirectories);
        Assert.Single(kept);
        Assert.Contains(dataset.ToString(), kept[0]);
    }
}
