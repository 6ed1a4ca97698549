using LoraPipeline.Datasets.Validating;

namespace LoraPipeline.Datasets.Tests;

/// <summary>The rule that shares the one-at-a-time validation queue between users (no host).</summary>
public sealed class when_users_share_the_validation_queue
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void a_user_who_had_a_turn_while_another_waited_goes_behind_them()
    {
        // U's last validation ended at 12:05; V's dataset has waited since 12:01
        Assert.True(FairShare.MustWait(lastTurnEnded: Noon.AddMinutes(5), othersWaitingSince: Noon.AddMinutes(1)));
    }

    [Fact]
    public void a_user_alone_a_first_upload_or_one_older_than_the_others_wait_is_never_held()
    {
        Assert.False(FairShare.MustWait(Noon.AddMinutes(5), othersWaitingSince: null)); // nobody else waits
        Assert.False(FairShare.MustWait(lastTurnEnded: null, Noon)); // no turn yet
        Assert.False(FairShare.MustWait(Noon, othersWaitingSince: Noon.AddMinutes(1))); // V began waiting after U's turn ended: U's turn is fair
    }
}
