# The two commands: `make run` and `make test`. With DATABASE_URL unset, both
# start (installing what is missing) the project-local PostgreSQL with
# pgvector under .data/; see scripts/devdb.sh.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/onboardiq
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
ADDR ?= localhost:8080

# Sets DATABASE_URL to the project-local server unless it is already set.
DB_ENV = if [ -z "$${DATABASE_URL:-}" ]; then dbenv=$$(scripts/devdb.sh env); eval "$$dbenv"; fi

.PHONY: run test test-citus lint build db db-stop db-psql citus citus-stop citus-psql bench bench-search bench-http clean screenshots

## run: set everything up, load the demo workspace and serve it (a secret
## key for webhook secrets is made once in .data/secret-key unless
## ONBOARDIQ_SECRET_KEY or ONBOARDIQ_SECRET_KEY_FILE is set)
run: build
	@$(DB_ENV); \
	export ONBOARDIQ_LOG_FORMAT="$${ONBOARDIQ_LOG_FORMAT:-text}"; \
	if [ -z "$${ONBOARDIQ_SMTP_URL:-}" ]; then export ONBOARDIQ_DEV_MAILBOX=true; fi; \
	export ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE="$${ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE:-true}"; \
	if [ -z "$${ONBOARDIQ_SECRET_KEY:-}$${ONBOARDIQ_SECRET_KEY_FILE:-}" ]; then \
		if [ ! -s .data/secret-key ]; then mkdir -p .data; (umask 077; ./$(BIN) secret-key > .data/secret-key.new && mv .data/secret-key.new .data/secret-key); fi; \
		export ONBOARDIQ_SECRET_KEY_FILE="$(CURDIR)/.data/secret-key"; \
	fi; \
	./$(BIN) migrate; \
	./$(BIN) seed demo; \
	addr="$${ONBOARDIQ_ADDR:-$(ADDR)}"; \
	printf '\nOnboardIQ is at http://%s  (try: curl -H "Authorization: Bearer <token>" http://%s/api/v1/me)\n\n' "$$addr" "$$addr"; \
	ONBOARDIQ_ADDR="$${ONBOARDIQ_ADDR:-$(ADDR)}" exec ./$(BIN) serve

## test: set up the database, then run the whole test suite
test:
	@scripts/browser.sh
	@$(DB_ENV); $(GO) test -race -count=1 -parallel 8 -timeout 30m ./...

## test-citus: the Citus suite against a local coordinator and two workers
## (scripts/citus.sh; builds Citus from the archive CITUS_SOURCE names when it
## is not installed): the Citus tests and the tests of the normal suite named
## in CITUS_TESTS, each test's database distributed over the nodes (testdb)
CITUS_PACKAGES ?= ./internal/postgres ./internal/api ./internal/jobs ./internal/cli ./internal/eval
# By name; each name is a test of one of CITUS_PACKAGES. TestCitus* skip
# outside this target.
CITUS_TESTS ?= TestCitus.* \
	TestTenantTablesIsolated TestPooledConnectionForgetsTenant TestTenantEntryIsOneStatement TestSchemaKeepsTenantInEveryKey \
	TestDeletesClearWhatReferredToThem \
	TestWalkthrough TestCrossTenantRoutes TestProgressAndStatus \
	TestSearchFindsTheSSOArticle TestCanaries TestDevSet TestFAQSetBeatsBM25 \
	TestKeywordSearchIsBM25 TestKeywordSearchHoldsWebSyntax TestKeywordIndexFollowsTheArticle TestArticlesWrittenBeforeAreIndexed TestSearchFindsNothingForNonsense TestSearchIsPlannedOnce \
	TestCustomerAsksHowToSetUpSSO TestStaffAssistant \
	TestScanOnceAndDeliveries TestConcurrentScans \
	TestEmbeddingIsEnqueuedWithTheChange TestWorkersEmbedInTheBackground TestZeroVectorsAreNeverCompared TestFanOutInBatches \
	TestArticleModelWhenPassagesAreStoredAtOnce \
	TestDependencyCycleRefused TestDependencyOutsideTheProjectRefused TestShiftDependents \
	TestProjectFromTemplateInWorkingDays TestHolidays TestScanForecastsTheChain TestDependenciesAPI \
	TestTemplateInstantiation TestUpdateTemplateKeepsTaskIDs TestTemplateFromProject TestDuplicateAndDeleteTemplate \
	TestBulkUpdateTasks TestBulkUpdateTasksIsAllOrNothing TestMoveTask TestLoadTimelinePage \
	TestCustomersPageCountsOpenProjects TestProjectFilters TestMyTasks TestContacts TestArchivedCustomerTakesNoProject \
	TestBrandingRoundTrip TestContactReopensWhatTheyCompleted TestActivityNamesTheTask \
	TestStaffProjectPageReadsInFixedRoundTrips TestPortalProjectPageReadsInFixedRoundTrips \
	TestCustomerActionsNotifyStaff TestMentionsNotify TestReplyByEmailThroughTheSMTPListener \
	TestReplyTokenNeverCrossesTenants TestInboundEmailWebhook TestHardBounceMarksTheAddressUndeliverable \
	TestTaskEmailsCarryAReplyAddress TestTaskPageOffersWhomTheNotifierReaches TestPortalMentionable \
	TestCSMAnswerReachesTheContact TestConversationPermissions TestConversationLists TestAskAboutTheAssistantsAnswer TestConversationsAcrossCustomers TestCustomerAsksForHelp \
	TestTaskAssignedEmail TestMilestoneEmails TestWelcomeOnFirstSignIn TestMentionEmailsContact \
	TestDueSoonAndOverdueReminders TestRemindersHonourPreferencesAndTheDailyCap TestContactEmailWaitsForQuietHours \
	TestWeeklyDigestAtTheLocalHour TestStaffOwnersReminded TestReengagement TestReplyDoneToAReminder \
	TestEmailTemplatesByRole TestEmailTemplateRefusals TestResetEmailTemplate TestPreviewEmailTemplate TestSendTestEmail \
	TestContactEmailPreferences TestPortalPreferencesStopThatKind TestSavedTemplateIsQueued TestEmailTemplateRoundTrip \
	TestMyEmailPreferences TestTestEmailReachesTheAdmin TestSavedTemplateReachesTheContact TestJourneyStages \
	TestIngestUsageCountsEachIDOnce TestIngestUsageConcurrently TestIngestUsageRejectsByField TestIngestUsageOtherTenantsCustomer \
	TestUsageRollupAcrossMidnight TestUsageSettings TestUsageRetention TestUsageEventsPartialSuccess TestUsageImport \
	TestIngestUsageByExternalID TestCustomerHierarchy TestAccountFieldsAreChecked TestAccountListFilters TestCustomFields TestAccountsAPI \
	TestMilestoneReachedOnceByUsage TestMilestoneUsersWithinAWeek TestTaskMilestone TestMilestoneSettings TestOnboardingMetricsTimeZones \
	TestMilestonesAndMetricsAPI TestMilestonesConsumer TestHealthFromUsage TestHealthRecompute \
	TestSurveyLinkRecordsOnce TestSurveyLinkRefusesForgedTamperedExpired TestPortalSurveyAnswer TestSurveyDetractorTellsTheCSM \
	TestSurveyRequestRules TestNPSScheduleOncePerInterval TestSurveySettings TestListSurveyResponses TestSurveyLinkClickedConcurrently \
	TestCSATOnProjectCompletion TestCSATOffAsksNothing TestNPSScanWorker \
	TestPlaybookRunsOncePerEvent TestPlaybookConditionsCooldownAndCap TestPlaybookScheduleTriggers TestPlaybookDryRunChangesNothing \
	TestPlaybookNeverSeesAnotherTenant TestPlaybookDefaultsSetupAndManualRun TestPlaybookEscalationLadder TestPlaybookExportImportRoundTrip \
	TestPlaybookWebhookReachesLoopbackSigned TestPlaybookActionsOnceAcrossACrash TestPlaybooksAsCode \
	TestPlaybookLifecycle TestPlaybookRefusedBodies TestPlaybookRunByHand TestPlaybookDryRun TestAcknowledgeEscalation TestDefaultPlaybooksForOlderWorkspaces TestPlaybookEventTriggersFireOnce \
	TestExportWorkspace TestArchiveListsStayTrue TestExportWorkspaceArchive TestTenantExport \
	TestImportDryRunChangesNothing TestImportCustomers TestImportUsersProjectsTasks TestImportCLI \
	TestOperatorProvisionsATenant TestProvisionedAdminSetsAPassword TestOperatorListsAndGetsTenants TestSuspendedTenantIsRefused \
	TestTenantDeletionAfterGrace TestOperatorAndTenantTokensAreRefusedOnEachOthersRoutes TestAppRoleCannotReachOperatorTokens \
	TestOperatorTokenCommands TestInviteStaff TestStaffInvitationExpires TestInviteStaffRefusals TestSetupChecklist \
	TestHideSetupChecklist TestSetupChecklistPlaybookWebhook TestInviteStaffAPI TestImportsAPI \
	TestCRMSameEventAtOnce TestCRMSecretsResealed TestCRMHubSpotClosedWonStartsOneProject TestCRMSignatures \
	TestCRMRulesPickTheTemplate TestCRMBadBody TestCRMIgnoredAndFailed \
	TestQuotaUsersAtTheLimit TestQuotaParallelAddsAtTheLimit TestQuotaStorageAndIntegrations TestQuotaAPICallsAreMetered \
	TestQuotaWarningOncePerMonth TestQuotasOnlyOperatorsEdit TestQuotasThroughTheAPI TestAITokenQuota \
	TestRateAnswerRecordsAndWithdrawsTheGap TestEscalationIsAGapThatKeepsItsReasons TestKnowledgeGapFactsCarryBlockedSpells \
	TestKnowledgeGapClosesWhenTheArticleIsPublished TestUnhelpfulRatingIsAGap
empty :=
space := $(empty) $(empty)
test-citus:
	@dbenv=$$(scripts/citus.sh env); eval "$$dbenv"; \
	ONBOARDIQ_TEST_CITUS=1 $(GO) test -count=1 -parallel 4 -timeout 30m \
		-run '^($(subst $(space),|,$(strip $(CITUS_TESTS))))$$' $(CITUS_PACKAGES)

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## screenshots: refresh the screenshots in docs/screenshots from the browser tests
screenshots:
	@scripts/browser.sh
	@$(DB_ENV); ONBOARDIQ_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestStaffCompletesATask|TestCustomerPortal|TestOnboardingFromAnEmptyWorkspace|TestOnboardACustomerInTheBrowser|TestProjectTaskTableInBrowser|TestTaskDependenciesInBrowser|TestTemplateEditorInBrowser|TestAskMyCSMInTheBrowser|TestHealthInBrowser|TestPlaybookFormInTheBrowser' ./internal/web

## bench: the benchmarks, five runs each (compare runs with benchstat)
bench:
	@$(DB_ENV); $(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

## bench-search: knowledge-base search at scale (docs/performance.md): by
## default 200,000 articles over 200 tenants, kept for the next run (the
## first load takes about 20 minutes); BENCH_SEARCH_FLAGS changes it, e.g.
## BENCH_SEARCH_FLAGS="--tenants 20 --articles 2000 --json"
BENCH_SEARCH_FLAGS ?=
bench-search: build
	@$(DB_ENV); ./$(BIN) migrate; ./$(BIN) bench search --keep $(BENCH_SEARCH_FLAGS)

## bench-http: the app against a bare handler at a scale (docs/performance.md,
## "The bench command"): API reads, pages, search, import, fan-out, idle RSS
## and start-up, with issue 18's goals beside; the tenants are kept for the
## next run. Small by default; BENCH_HTTP_FLAGS changes it, e.g.
## BENCH_HTTP_FLAGS="--scale large --json". The serve rows start the binary,
## which needs a secret key: the one `make run` keeps is used if none is set.
BENCH_HTTP_FLAGS ?=
bench-http: build
	@$(DB_ENV); \
	if [ -z "$${ONBOARDIQ_SECRET_KEY:-}$${ONBOARDIQ_SECRET_KEY_FILE:-}" ]; then \
		if [ ! -s .data/secret-key ]; then mkdir -p .data; (umask 077; ./$(BIN) secret-key > .data/secret-key.new && mv .data/secret-key.new .data/secret-key); fi; \
		export ONBOARDIQ_SECRET_KEY_FILE="$(CURDIR)/.data/secret-key"; \
	fi; \
	./$(BIN) migrate; ./$(BIN) bench http --keep $(BENCH_HTTP_FLAGS)

build:
	$(GO) build -o $(BIN) ./cmd/onboardiq

## db: start the project-local PostgreSQL; db-stop: stop it; db-psql: open psql on it
db:
	@scripts/devdb.sh start
db-stop:
	@scripts/devdb.sh stop
db-psql:
	@scripts/devdb.sh psql

## citus: start the local Citus cluster; citus-stop: stop it; citus-psql: open psql on its coordinator
citus:
	@scripts/citus.sh start
citus-stop:
	@scripts/citus.sh stop
citus-psql:
	@scripts/citus.sh psql

clean:
	rm -rf bin
