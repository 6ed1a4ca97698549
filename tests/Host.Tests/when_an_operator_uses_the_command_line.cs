using System.Diagnostics;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// The command line as an operator runs it: the real Host executable, against this test class's
/// schema, and the printed key used on the API.
/// </summary>
public sealed class when_an_operator_uses_the_command_line(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task users_create_prints_a_key_on_the_last_line_that_opens_the_api()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var (exit, output, errors) = await RunHostAsync("users", "create", name);
        Assert.True(exit == 0, $"exit {exit}: {errors}");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var key = lines[^1];
        Assert.StartsWith("lp_", key);
        Assert.Contains(lines, l => l.Contains(name, StringComparison.Ordinal) && l.Contains("id", StringComparison.Ordinal));

        var result = await platform.Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key}");
            s.Get.Url("/api/me");
        });
        Assert.Equal(name, (await result.Data())["name"]!.GetValue<string>());

        var (again, _, duplicateError) = await RunHostAsync("users", "create", name);
        Assert.NotEqual(0, again);
        Assert.Contains("already exists", duplicateError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task keys_revoke_makes_a_key_answer_401()
    {
        var user = await platform.CreateUserAsync();
        var (exit, _, errors) = await RunHostAsync("keys", "revoke", user.KeyId.ToString());
        Assert.True(exit == 0, errors);

        await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url("/api/me");
            s.StatusCodeShouldBe(401);
        });
    }

    [Fact]
    public async Task keys_create_issues_a_second_working_key()
    {
        var user = await platform.CreateUserAsync();
        var (exit, output, errors) = await RunHostAsync("keys", "create", user.Name);
        Assert.True(exit == 0, errors);
        var key = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];

        var result = await platform.Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {key}");
            s.Get.Url("/api/me");
        });
        Assert.Equal(user.Id, (await result.Data())["id"]!.GetValue<Guid>());
    }

    private async Task<(int Exit, string Output, string Errors)> RunHostAsync(params string[] args)
    {
        var hostDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
        };
        start.ArgumentList.Add(hostDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__Postgres"] = platform.ConnectionString;
        start.Environment["Database__Schema"] = platform.Schema;
        start.Environment["Storage__SigningKey"] = "cli-test-signing-key-0123456789abcdef";
        start.Environment["Storage__Root"] = platform.BlobRoot;
        start.Environment["Wolverine__CodegenMode"] = "Dynamic";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}
