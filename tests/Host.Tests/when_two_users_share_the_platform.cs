using LoraPipeline.TestKit;
using Marten;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// The mechanism behind "another user's resource answers 404": Marten conjoined tenancy with the
/// user id as tenant. A session opened for one user neither reads nor overwrites another's
/// documents or streams, even with the same ids. Module tests prove the same over HTTP with
/// <see cref="Isolation.AssertHiddenFromStranger"/>.
/// </summary>
public sealed class when_two_users_share_the_platform(PlatformHost platform) : IClassFixture<PlatformHost>
{
    public sealed class Note
    {
        public Guid Id { get; set; }
        public string Text { get; set; } = "";
    }

    public sealed record NoteWritten(string Text);

    [Fact]
    public async Task a_document_of_one_user_is_invisible_to_the_other_even_with_the_same_id()
    {
        var alice = await platform.CreateUserAsync();
        var bob = await platform.CreateUserAsync();
        var id = Guid.NewGuid();

        await using (var session = platform.Store.LightweightSession(alice.Tenant))
        {
            session.Store(new Note { Id = id, Text = "alice's" });
            await session.SaveChangesAsync();
        }

        await using (var session = platform.Store.LightweightSession(bob.Tenant))
        {
            Assert.Null(await session.LoadAsync<Note>(id));
            Assert.Empty(await session.Query<Note>().ToListAsync());
            session.Store(new Note { Id = id, Text = "bob's" });
            await session.SaveChangesAsync();
        }

        await using (var session = platform.Store.QuerySession(alice.Tenant))
        {
            Assert.Equal("alice's", (await session.LoadAsync<Note>(id))!.Text);
        }
    }

    [Fact]
    public async Task an_event_stream_of_one_user_is_invisible_to_the_other()
    {
        var alice = await platform.CreateUserAsync();
        var bob = await platform.CreateUserAsync();
        var stream = Guid.NewGuid();

        await using (var session = platform.Store.LightweightSession(alice.Tenant))
        {
            session.Events.StartStream(stream, new NoteWritten("hello"));
            await session.SaveChangesAsync();
        }

        await using var other = platform.Store.QuerySession(bob.Tenant);
        Assert.Empty(await other.Events.FetchStreamAsync(stream));
        Assert.Null(await other.Events.FetchStreamStateAsync(stream));
    }
}
