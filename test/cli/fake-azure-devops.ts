/** The CLI tests use the one shared fake Azure DevOps (test/support/fake-azure-devops.ts). */
export * from '../support/fake-azure-devops';
